"""The shipped model files are the ones this code expects."""

import json

import numpy as np
import pytest

from kalrav.nlp.config import SENTIMENT_MODELS
from kalrav.nlp.hashing import HASH_VERSION
from kalrav.nlp.language import HINGLISH_FORMAT, HINGLISH_MODEL
from kalrav.nlp.lexicon import DENSE_COLUMNS
from kalrav.nlp.sentiment import FORMAT, MODELS_DIR, SentimentModel
from kalrav.nlp.training.build import MODEL_VERSION
from kalrav.nlp.training.datasets import LABELS, sources_for


@pytest.mark.parametrize("name", SENTIMENT_MODELS)
def test_sentiment_metadata(name):
    meta = json.loads((MODELS_DIR / f"sentiment-{name}.json").read_text(encoding="utf-8"))
    assert meta["format"] == FORMAT
    assert meta["version"] == f"{MODEL_VERSION}+{name}"
    assert meta["data_licence"] == name
    assert meta["classes"] == list(LABELS)
    assert meta["hashing"]["hash_version"] == HASH_VERSION
    assert meta["dense_columns"] == list(DENSE_COLUMNS)
    assert [s["name"] for s in meta["training_sets"]] == [s.name for s in sources_for(name)]
    for figures in meta["held_out"].values():
        assert 0 <= figures["macro_f1"] <= 1 and figures["rows"] > 0


@pytest.mark.parametrize("name", SENTIMENT_MODELS)
def test_sentiment_weights_have_the_declared_shape(name):
    model = SentimentModel.load(name)
    assert model.model.weights.shape == (1 << model.spec.bits, len(LABELS))
    assert model.model.dense_weights.shape == (len(DENSE_COLUMNS), len(LABELS))
    assert np.isfinite(model.model.weights).all()


def test_hinglish_metadata():
    meta = json.loads(HINGLISH_MODEL.with_suffix(".json").read_text(encoding="utf-8"))
    assert meta["format"] == HINGLISH_FORMAT
    assert meta["version"] == MODEL_VERSION
    assert meta["hashing"]["hash_version"] == HASH_VERSION
    assert 0 < meta["threshold"] < 1


def test_model_files_stay_small():
    total = sum(path.stat().st_size for path in MODELS_DIR.iterdir())
    assert total < 15 * 2**20
