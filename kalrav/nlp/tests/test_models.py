"""The shipped model files are the ones this code expects (that they are the ones the training
code makes is tested in nlp_training)."""

import json

import numpy as np
import pytest

from kalrav.nlp.config import SENTIMENT_MODELS
from kalrav.nlp.evaluation import LABELS
from kalrav.nlp.hashing import HASH_VERSION
from kalrav.nlp.language import HINGLISH_FORMAT, HINGLISH_MODEL
from kalrav.nlp.lexicon import DENSE_COLUMNS
from kalrav.nlp.sentiment import FORMAT, WEIGHTS_DIR, SentimentModel


@pytest.mark.parametrize("name", SENTIMENT_MODELS)
def test_sentiment_metadata(name):
    meta = json.loads((WEIGHTS_DIR / f"sentiment-{name}.json").read_text(encoding="utf-8"))
    assert meta["format"] == FORMAT
    assert meta["data_licence"] == name
    assert meta["classes"] == list(LABELS)
    assert meta["hashing"]["hash_version"] == HASH_VERSION
    assert meta["dense_columns"] == list(DENSE_COLUMNS)
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
    assert meta["hashing"]["hash_version"] == HASH_VERSION
    assert 0 < meta["threshold"] < 1


def test_model_files_stay_small():
    total = sum(path.stat().st_size for path in WEIGHTS_DIR.iterdir())
    assert total < 15 * 2**20
