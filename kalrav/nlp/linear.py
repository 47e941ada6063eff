"""A linear classifier over hashed features, stored as one .npz and scored with numpy.

scikit-learn fits the weights (training only); serving needs numpy alone, so a web worker
does not import scipy or scikit-learn, and the weights load in milliseconds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass
class FeatureBatch:
    """Sparse hashed features (one entry per n-gram occurrence) plus a few dense columns."""

    docs: np.ndarray  # int64 text index
    columns: np.ndarray  # int64 bucket
    values: np.ndarray  # float32
    dense: np.ndarray  # (count, n_dense) float32
    count: int


@dataclass
class LinearModel:
    classes: list[str]
    weights: np.ndarray  # (n_buckets, n_classes) float32
    dense_weights: np.ndarray  # (n_dense, n_classes) float32
    bias: np.ndarray  # (n_classes,)
    metadata: dict
    extras: dict[str, np.ndarray] = field(default_factory=dict)  # e.g. the lexicon

    def decision(self, batch: FeatureBatch) -> np.ndarray:
        scores = np.tile(self.bias.astype(np.float64), (batch.count, 1))
        if batch.docs.size:
            # np.take gathers the rows about three times faster than fancy indexing, with the
            # same values, so the scores are bit for bit those of `self.weights[columns]`.
            gathered = np.take(self.weights, batch.columns, axis=0) * batch.values[:, None]
            for k in range(self.weights.shape[1]):
                scores[:, k] += np.bincount(
                    batch.docs, weights=gathered[:, k], minlength=batch.count
                )
        if self.dense_weights.size:
            scores += batch.dense @ self.dense_weights
        return scores

    def probabilities(self, batch: FeatureBatch) -> np.ndarray:
        scores = self.decision(batch)
        if len(self.classes) == 2 and scores.shape[1] == 1:
            positive = 1.0 / (1.0 + np.exp(-scores[:, 0]))
            return np.column_stack((1.0 - positive, positive))
        scores -= scores.max(axis=1, keepdims=True)
        exp = np.exp(scores)
        return exp / exp.sum(axis=1, keepdims=True)

    def save(self, stem: Path) -> None:
        """Write STEM.npz (float16 weights) and STEM.json (metadata)."""
        stem.parent.mkdir(parents=True, exist_ok=True)
        # float16 halves the file; training rounds the weights the same way before measuring,
        # so the held-out figures in the metadata are those of the shipped weights.
        arrays: dict[str, np.ndarray] = {
            "weights": self.weights.astype(np.float16),
            "dense_weights": self.dense_weights.astype(np.float32),
            "bias": self.bias.astype(np.float32),
            **{f"extra_{name}": array for name, array in self.extras.items()},
        }
        np.savez_compressed(stem.with_suffix(".npz"), allow_pickle=False, **arrays)
        text = json.dumps({**self.metadata, "classes": self.classes}, indent=2, ensure_ascii=False)
        stem.with_suffix(".json").write_text(text + "\n", encoding="utf-8")

    @classmethod
    def load(cls, stem: Path) -> LinearModel:
        metadata = json.loads(stem.with_suffix(".json").read_text(encoding="utf-8"))
        with np.load(stem.with_suffix(".npz")) as arrays:
            return cls(
                classes=list(metadata["classes"]),
                weights=arrays["weights"].astype(np.float32),
                dense_weights=arrays["dense_weights"].astype(np.float32),
                bias=arrays["bias"].astype(np.float32),
                metadata=metadata,
                extras={
                    name.removeprefix("extra_"): arrays[name]
                    for name in arrays.files
                    if name.startswith("extra_")
                },
            )
