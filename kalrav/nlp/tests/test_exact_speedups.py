"""The fast path's speed-ups must not change a single score: the decision gathering weights with
np.take against fancy indexing, and the guarded text clean-up against the unguarded one."""

from __future__ import annotations

import re

import numpy as np

from kalrav.nlp import textprep
from kalrav.nlp.linear import FeatureBatch, LinearModel


def fancy_indexing_decision(model: LinearModel, batch: FeatureBatch) -> np.ndarray:
    scores = np.tile(model.bias.astype(np.float64), (batch.count, 1))
    gathered = model.weights[batch.columns] * batch.values[:, None]
    for k in range(model.weights.shape[1]):
        scores[:, k] += np.bincount(batch.docs, weights=gathered[:, k], minlength=batch.count)
    return scores


def test_decision_is_bit_for_bit_that_of_fancy_indexing():
    rng = np.random.default_rng(19)
    for classes in (1, 3):
        model = LinearModel(
            classes=["a", "b", "c"][: max(classes, 2)],
            weights=rng.normal(size=(4096, classes)).astype(np.float32),
            dense_weights=np.zeros((0, classes), np.float32),
            bias=rng.normal(size=classes).astype(np.float32),
            metadata={},
        )
        size = 5000
        batch = FeatureBatch(
            docs=rng.integers(0, 40, size),
            columns=rng.integers(0, 4096, size),
            values=rng.random(size).astype(np.float32),
            dense=np.zeros((41, 0), np.float32),
            count=41,  # the last text has no features: its scores are the bias
        )
        assert model.decision(batch).tobytes() == fancy_indexing_decision(model, batch).tobytes()


def unguarded(text: str) -> tuple[str, str]:
    def unescape(found: re.Match[str]) -> str:
        return chr(int(found.group(1), 16))

    words = textprep.LITERAL_ESCAPE.sub(unescape, text)
    words = textprep.HTML_ENTITY.sub(" ", words)
    words = textprep.URL.sub(" ", words)
    words = textprep.MENTION.sub(" ", words)
    words = textprep.HASHTAG.sub(" ", words)
    words = textprep.EMOJI.sub(" ", words)
    features = textprep.LITERAL_ESCAPE.sub(unescape, text)
    features = textprep.HTML_ENTITY.sub(" ", features)
    features = textprep.URL.sub(" xurl ", features)
    features = textprep.MENTION.sub(" xuser ", features)
    features = textprep.HASH_SIGN.sub("", features).lower()
    features = textprep.ELONGATION.sub(r"\1\1\1", features)
    features = textprep.DIGITS.sub("0", features)
    features = textprep.INNER_APOSTROPHE.sub("", features)
    features = textprep.EMOJI.sub(
        lambda m: f" {m.group(0)} " if m.group(0) not in "\ufe0f\u200d" else " ", features
    )
    features = textprep.PUNCTUATION.sub(lambda m: f" {m.group(0)[:3]} ", features)
    return words, textprep.SPACES.sub(" ", features).strip()


def test_guarded_clean_up_reads_every_text_as_before():
    pieces = [
        "a", "B", " ", "@", "#", "&", ";", "'", "\u2019", "\\u0040", "\\u0023", "\\u2019",
        "&amp;", "&#39;", "@mira", "#chai", "don't", "http://x.example/a", "www.y.org",
        "চা", "क्ष", "καφές", "😀", "\ufe0f", "\u200d", "1999", "sooooo", "!!!", "İ", "ſ",
    ]  # fmt: skip
    rng = np.random.default_rng(7)
    for _ in range(20000):
        text = "".join(pieces[k] for k in rng.integers(0, len(pieces), rng.integers(0, 13)))
        assert (textprep.strip_noise(text), textprep.for_features(text)) == unguarded(text), text
