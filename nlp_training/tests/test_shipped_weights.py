"""The shipped model files are the ones this training code makes: its version and its sets."""

import json

import pytest

from kalrav.nlp.config import SENTIMENT_MODELS
from kalrav.nlp.language import HINGLISH_MODEL
from kalrav.nlp.sentiment import WEIGHTS_DIR
from nlp_training.build import MODEL_VERSION
from nlp_training.datasets import sources_for


@pytest.mark.parametrize("name", SENTIMENT_MODELS)
def test_sentiment_metadata_names_this_training(name):
    meta = json.loads((WEIGHTS_DIR / f"sentiment-{name}.json").read_text(encoding="utf-8"))
    assert meta["version"] == f"{MODEL_VERSION}+{name}"
    assert [s["name"] for s in meta["training_sets"]] == [s.name for s in sources_for(name)]


def test_hinglish_metadata_names_this_training():
    meta = json.loads(HINGLISH_MODEL.with_suffix(".json").read_text(encoding="utf-8"))
    assert meta["version"] == MODEL_VERSION
