"""Fitting the romanized-Hindi detector: hi-Latn tweets against Latin-script tweets of other languages."""

from __future__ import annotations

from collections import Counter

import numpy as np

from kalrav.nlp.featurize import featurize
from kalrav.nlp.hashing import HashingSpec, word_hashes
from kalrav.nlp.language import HINGLISH_FORMAT, HinglishClassifier
from kalrav.nlp.lexicon import Lexicon
from kalrav.nlp.linear import LinearModel
from kalrav.nlp.textprep import for_features, script_counts, strip_noise

from .datasets import PreparedSource, Row

SPEC = HashingSpec(bits=18, char_min=1, char_max=4, word_max=1)
C = 4.0
# Answer "hi" only when fairly sure: a wrong "hi" on an English post costs as much as a missed one,
# and lingua still answers for the posts below the threshold.
THRESHOLD = 0.5
UNKNOWN_SHARE = 0.3
CLASS_WEIGHT: str | None = "balanced"


def _latin(row: Row) -> bool:
    counts = script_counts(strip_noise(row.text))
    return bool(counts) and max(counts, key=counts.__getitem__) == "Latn"


def other_latin_vocabulary(
    prepared: list[PreparedSource], parts: tuple[str, ...] = ("train",)
) -> frozenset[str]:
    """Words seen at least twice in the other Latin-script sets (training splits unless told)."""
    counts: Counter[str] = Counter()
    for item in prepared:
        if item.source.domain != "hi-Latn":
            for row in (r for part in parts for r in getattr(item, part)):
                if _latin(row):
                    counts.update(for_features(strip_noise(row.text)).split())
    return frozenset(word for word, n in counts.items() if n >= 2)


def looks_hindi(text: str, vocabulary: frozenset[str]) -> bool:
    """Whether a row of the hi-Latn set has words that the other languages' tweets lack.

    About a third of the hi-Latn set is plain English written by Indian users; kept as
    positives they teach the model that English about cricket or Delhi is Hindi.
    """
    words = [w for w in for_features(text).split() if any(ch.isalpha() for ch in w)]
    if not words:
        return False
    unknown = sum(1 for w in words if w not in vocabulary)
    return unknown / len(words) >= UNKNOWN_SHARE


def _examples(
    prepared: list[PreparedSource], part: str, vocabulary: frozenset[str] | None = None
) -> tuple[list[str], np.ndarray, list[str]]:
    texts, labels, domains = [], [], []
    for item in prepared:
        for row in getattr(item, part):
            hindi_set = item.source.domain == "hi-Latn"
            if (
                hindi_set
                and vocabulary is not None
                and not looks_hindi(strip_noise(row.text), vocabulary)
            ):
                continue
            if _latin(row):
                texts.append(strip_noise(row.text))
                labels.append(1 if row.domain == "hi-Latn" else 0)
                domains.append(row.domain)
    return texts, np.array(labels), domains


def fit(
    texts: list[str], labels: np.ndarray, metadata: dict, vocabulary: frozenset[str]
) -> HinglishClassifier:
    from sklearn.linear_model import LogisticRegression

    from .sentiment_training import to_matrix

    batch = featurize(texts, [None] * len(texts), SPEC, Lexicon.empty(), negation=False)
    classifier = LogisticRegression(C=C, class_weight=CLASS_WEIGHT, max_iter=2000)
    classifier.fit(to_matrix(batch, 1 << SPEC.bits), labels)
    coef = classifier.coef_.T
    model = LinearModel(
        classes=["other", "hi-Latn"],
        weights=coef[: 1 << SPEC.bits].astype(np.float16).astype(np.float32),
        dense_weights=coef[1 << SPEC.bits :].astype(np.float32),
        bias=classifier.intercept_.astype(np.float32),
        metadata={
            **metadata,
            "format": HINGLISH_FORMAT,
            "hashing": SPEC.as_dict(),
            "threshold": THRESHOLD,
            "unknown_share": UNKNOWN_SHARE,
            "c": C,
        },
        extras={"other_latin_vocabulary": np.unique(word_hashes(sorted(vocabulary)))},
    )
    return HinglishClassifier(model)


def evaluate(
    classifier: HinglishClassifier,
    prepared: list[PreparedSource],
    vocabulary: frozenset[str] | None = None,
) -> dict[str, float]:
    """Share of each held-out set answered "hi": recall for hi-Latn, false alarms for the rest.

    With a vocabulary, the hi-Latn test rows that are plain English are left out.
    """
    texts, _labels, domains = _examples(prepared, "test", vocabulary)
    said_hindi = np.array(classifier.is_hindi(texts)) >= classifier.threshold
    out: dict[str, float] = {}
    for domain in sorted(set(domains)):
        mask = np.array([d == domain for d in domains])
        out[domain] = round(float(said_hindi[mask].mean()), 4)
    return out


def train(prepared: list[PreparedSource], version: str) -> tuple[HinglishClassifier, dict]:
    """Held-out figures from the training splits, then the shipped model fitted on every row."""
    vocabulary = other_latin_vocabulary(prepared)
    texts, labels, _ = _examples(prepared, "train", vocabulary)
    held_out_model = fit(texts, labels, {"version": "held-out"}, vocabulary)
    held_out = {
        "all_rows": evaluate(held_out_model, prepared),
        "hindi_looking_rows": evaluate(held_out_model, prepared, vocabulary),
    }
    test_texts, test_labels, _ = _examples(prepared, "test", vocabulary)
    classifier = fit(
        texts + test_texts,
        np.concatenate((labels, test_labels)),
        {"version": version, "said_hindi_on_held_out": held_out},
        # The vocabulary of the shipped model comes from every row of the other languages.
        other_latin_vocabulary(prepared, parts=("train", "test")),
    )
    return classifier, held_out
