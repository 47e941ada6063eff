"""Sentiment of short social texts: negative, neutral or positive, with a signed score.

The fast path: one linear model over hashed character and word n-grams (each feature shared by
all languages and repeated privately for the text's language), plus lexicon features. The
weights ship as package data and load once per process.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .featurize import featurize
from .hashing import HASH_VERSION, HashingSpec
from .lexicon import Lexicon
from .linear import LinearModel

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
FORMAT = "kalrav-nlp-sentiment/1"  # what this code can read; the metadata must say the same


class ModelFileError(RuntimeError):
    """A shipped model is missing or was written by an incompatible version of this code."""


@dataclass(frozen=True)
class SentimentResult:
    label: str
    # P(positive) - P(negative): -1 is surely negative, +1 surely positive, near 0 neutral or unsure.
    score: float


class SentimentModel:
    def __init__(self, model: LinearModel):
        meta = model.metadata
        if meta.get("format") != FORMAT:
            raise ModelFileError(f"model format {meta.get('format')!r}, this code reads {FORMAT!r}")
        spec = dict(meta["hashing"])
        if spec.pop("hash_version") != HASH_VERSION:
            raise ModelFileError("the model was trained with another feature hash; retrain it")
        self.model = model
        self.spec = HashingSpec(**spec)
        self.negation = bool(meta.get("negation", True))
        self.lexicon = (
            Lexicon(
                model.extras["lexicon_hashes"],
                model.extras["lexicon_valences"],
                model.extras["lexicon_emoji"],
            )
            if "lexicon_hashes" in model.extras
            else Lexicon.empty()
        )
        self.classes = model.classes

    @classmethod
    def load(cls, name: str) -> SentimentModel:
        stem = WEIGHTS_DIR / f"sentiment-{name}"
        if not stem.with_suffix(".npz").exists():
            raise ModelFileError(
                f"no sentiment model named {name!r} in {WEIGHTS_DIR}; run `kalrav nlp train`"
            )
        return cls(LinearModel.load(stem))

    @property
    def version(self) -> str:
        return str(self.model.metadata["version"])

    def probabilities(self, texts: Sequence[str], domains: Sequence[str | None]) -> np.ndarray:
        batch = featurize(texts, domains, self.spec, self.lexicon, negation=self.negation)
        return self.model.probabilities(batch)

    def predict(self, texts: Sequence[str], domains: Sequence[str | None]) -> list[SentimentResult]:
        if not texts:
            return []
        probs = self.probabilities(texts, domains)
        negative = self.classes.index("negative")
        positive = self.classes.index("positive")
        best = probs.argmax(axis=1)
        return [
            SentimentResult(self.classes[k], round(float(p[positive] - p[negative]), 4))
            for k, p in zip(best, probs, strict=True)
        ]


_loaded: dict[str, SentimentModel] = {}
_lock = threading.Lock()


def get_model(name: str) -> SentimentModel:
    """The named model, loaded on first use and then shared by every thread of the process."""
    model = _loaded.get(name)
    if model is None:
        with _lock:
            model = _loaded.get(name)
            if model is None:
                model = _loaded[name] = SentimentModel.load(name)
    return model
