"""Sentiment, quality path: multilingual-E5-small sentence embeddings and a linear head.

About 50 ms a post on one core (the fast path takes 0.1 ms), for the inbox and matched mentions
rather than the listening firehose. The head is a logistic regression trained by
`kalrav nlp train` on the same data and splits as the fast path; it can also read the fast
path's probabilities and lexicon features (which inputs it reads is in its metadata, chosen by
measurement: see MODEL_CARD.md). One head per training-set choice ships as
`weights/quality-<name>.npz/.json`, loaded once per process.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .embedding import MODEL_ID, Embedder, get_embedder
from .featurize import featurize
from .sentiment import WEIGHTS_DIR, ModelFileError, SentimentModel, SentimentResult, get_model

FORMAT = "kalrav-nlp-quality/1"
# The blocks a head may read, in this order: see `head_inputs`.
BLOCKS = ("embedding", "fast", "fast_by_domain", "lexicon", "domain")


@dataclass(frozen=True)
class HeadSpec:
    blocks: tuple[str, ...]
    domains: tuple[str, ...]  # one indicator column each, when "domain" is read


def head_inputs(
    spec: HeadSpec,
    embeddings: np.ndarray,
    fast_probabilities: np.ndarray | None,
    lexicon_features: np.ndarray | None,
    domains: Sequence[str | None],
) -> np.ndarray:
    """The head's input matrix; training and serving both build it here."""
    onehot = np.zeros((len(domains), len(spec.domains)), dtype=np.float32)
    index = {name: k for k, name in enumerate(spec.domains)}
    for row, domain in enumerate(domains):
        if domain in index:
            onehot[row, index[domain]] = 1.0
    fast_logs = None
    if fast_probabilities is not None:
        # Log-probabilities: a linear head combines them as a product of experts.
        fast_logs = np.log(np.clip(fast_probabilities, 1e-4, 1.0)).astype(np.float32)
    parts = []
    for block in spec.blocks:
        if block == "embedding":
            parts.append(embeddings.astype(np.float32))
        elif block == "fast":
            assert fast_logs is not None
            parts.append(fast_logs)
        elif block == "fast_by_domain":
            # The same log-probabilities again, in the columns of the row's language only: each
            # language weighs the two paths its own way (zeros for the other languages).
            assert fast_logs is not None
            parts.append((onehot[:, :, None] * fast_logs[:, None, :]).reshape(len(domains), -1))
        elif block == "lexicon":
            assert lexicon_features is not None
            parts.append(lexicon_features.astype(np.float32))
        elif block == "domain":
            parts.append(onehot)
        else:
            raise ModelFileError(f"unknown input block {block!r}")
    return np.hstack(parts) if parts else np.zeros((len(domains), 0), dtype=np.float32)


class QualityModel:
    def __init__(self, metadata: dict, weights: np.ndarray, bias: np.ndarray):
        if metadata.get("format") != FORMAT:
            raise ModelFileError(
                f"quality model format {metadata.get('format')!r}, this code reads {FORMAT!r}"
            )
        if metadata.get("embedding_model") != MODEL_ID:
            raise ModelFileError(
                f"the head was trained on {metadata.get('embedding_model')!r} embeddings, "
                f"this code computes {MODEL_ID!r}; retrain it"
            )
        self.metadata = metadata
        self.classes: list[str] = list(metadata["classes"])
        self.spec = HeadSpec(tuple(metadata["blocks"]), tuple(metadata.get("domains", ())))
        self.weights = weights.astype(np.float32)
        self.bias = bias.astype(np.float32)
        self.fast_model_name: str = metadata["fast_model"]

    @classmethod
    def load(cls, name: str, directory: Path = WEIGHTS_DIR) -> QualityModel:
        stem = directory / f"quality-{name}"
        if not stem.with_suffix(".npz").exists():
            raise ModelFileError(
                f"no quality sentiment model named {name!r} in {directory}; run `kalrav nlp train`"
            )
        metadata = json.loads(stem.with_suffix(".json").read_text(encoding="utf-8"))
        with np.load(stem.with_suffix(".npz")) as arrays:
            return cls(metadata, arrays["weights"], arrays["bias"])

    def save(self, directory: Path) -> Path:
        stem = directory / f"quality-{self.metadata['data_licence']}"
        directory.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            stem.with_suffix(".npz"), allow_pickle=False, weights=self.weights, bias=self.bias
        )
        text = json.dumps({**self.metadata, "classes": self.classes}, indent=2, ensure_ascii=False)
        stem.with_suffix(".json").write_text(text + "\n", encoding="utf-8")
        return stem

    @property
    def version(self) -> str:
        return str(self.metadata["version"])

    def needs_fast_model(self) -> bool:
        return bool({"fast", "fast_by_domain", "lexicon"} & set(self.spec.blocks))

    def probabilities_from(
        self,
        embeddings: np.ndarray,
        texts: Sequence[str],
        domains: Sequence[str | None],
        fast: SentimentModel | None,
    ) -> np.ndarray:
        fast_probabilities = lexicon_features = None
        if self.needs_fast_model():
            assert fast is not None
            if {"fast", "fast_by_domain"} & set(self.spec.blocks):
                fast_probabilities = fast.probabilities(texts, domains)
            if "lexicon" in self.spec.blocks:
                lexicon_features = featurize(
                    texts, domains, fast.spec, fast.lexicon, negation=fast.negation
                ).dense
        inputs = head_inputs(self.spec, embeddings, fast_probabilities, lexicon_features, domains)
        scores = inputs.astype(np.float64) @ self.weights + self.bias
        scores -= scores.max(axis=1, keepdims=True)
        exp = np.exp(scores)
        return exp / exp.sum(axis=1, keepdims=True)

    def predict(
        self,
        texts: Sequence[str],
        domains: Sequence[str | None],
        embedder: Embedder | None = None,
    ) -> list[SentimentResult]:
        if not texts:
            return []
        embeddings = (embedder or get_embedder()).embed(texts)
        fast = get_model(self.fast_model_name) if self.needs_fast_model() else None
        probs = self.probabilities_from(embeddings, texts, domains, fast)
        negative = self.classes.index("negative")
        positive = self.classes.index("positive")
        return [
            # Nothing to read is neutral, as on the fast path (E5 would still embed "query: ").
            SentimentResult("neutral", 0.0)
            if not text.strip()
            else SentimentResult(self.classes[int(k)], round(float(p[positive] - p[negative]), 4))
            for text, k, p in zip(texts, probs.argmax(axis=1), probs, strict=True)
        ]


_loaded: dict[str, QualityModel] = {}
_lock = threading.Lock()


def get_quality_model(name: str) -> QualityModel:
    """The named head, loaded on first use and shared by every thread (the embedder loads on
    the first prediction)."""
    model = _loaded.get(name)
    if model is None:
        with _lock:
            model = _loaded.get(name)
            if model is None:
                model = _loaded[name] = QualityModel.load(name)
    return model
