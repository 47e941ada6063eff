"""The stream sentiment model: the C featurizer and int8 linear model of `_sentiment`.

About 30 times cheaper than the numpy fast model (`kalrav.nlp.sentiment`) at a held-out
macro-F1 close to it: word unigrams and bigrams plus word prefixes and suffixes instead of
character n-grams, each shared by all languages and private to the text's language, and the
same VADER and emoji lexicon. Trained by `python -m nlp_training.stream_sentiment_training`
on exactly the features `_sentiment.features` exposes; the weights ship as
`weights/stream-sentiment-<tier>.{npz,json}` and load once per process.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

try:
    from . import _sentiment  # type: ignore[attr-defined]
except ImportError:  # no C compiler at install time: the caller falls back to the fast model
    _sentiment = None

WEIGHTS_DIR = Path(__file__).resolve().parents[1] / "weights"
FORMAT = "kalrav-nlp-stream-sentiment/1"  # what this code reads; the metadata must say the same
CLASSES = ("negative", "neutral", "positive")  # the order `_sentiment.predict` answers in
N_DENSE = 4  # lexicon columns: word positive, word negative, emoji positive, emoji negative


@dataclass(frozen=True)
class FeatureSpec:
    bits: int = 18  # the table has 2**bits buckets of two int8 weights
    bigrams: bool = True
    affix: int = 3  # prefix and suffix length for longer words; 0 = none

    def as_tuple(self) -> tuple[int, int, int]:
        return (self.bits, int(self.bigrams), self.affix)


@dataclass(frozen=True)
class Features:
    """Sparse features of a batch (CSR layout) and its dense lexicon columns."""

    offsets: np.ndarray  # int64 (n + 1): text i owns columns[offsets[i]:offsets[i + 1]]
    columns: np.ndarray  # int32 buckets
    values: np.ndarray  # float64, 1 / sqrt(the text's feature count)
    dense: np.ndarray  # float64 (n, N_DENSE)


class LexiconTable:
    """Word and emoji valences keyed by `_sentiment.token_keys`, as the open-addressing table
    the C code probes (size a power of two, key 0 = empty slot, start at the key's top bits)."""

    def __init__(self, keys: np.ndarray, valences: np.ndarray):
        self.keys = np.ascontiguousarray(keys, dtype=np.uint64)
        self.valences = np.ascontiguousarray(valences, dtype=np.float32)

    @classmethod
    def empty(cls) -> LexiconTable:
        return cls(np.zeros(0, np.uint64), np.zeros(0, np.float32))

    @classmethod
    def from_entries(cls, entries: dict[str, float]) -> LexiconTable:
        # Entries are matched as the tokenizer writes them ("can't" becomes "cant"); an entry
        # that is not one token could never match and is left out.
        cleaned: dict[str, float] = {}
        for word, valence in sorted(entries.items()):
            tokens = _sentiment.tokens(word)
            if len(tokens) == 1:
                cleaned.setdefault(tokens[0], valence)
        words = list(cleaned)
        hashes = np.frombuffer(_sentiment.token_keys(words), dtype=np.uint64)
        size = 1 << max(4, (2 * len(words) - 1).bit_length())  # at most half full
        shift = np.uint64(64 - (size.bit_length() - 1))
        keys = np.zeros(size, np.uint64)
        valences = np.zeros(size, np.float32)
        for key, word in zip(hashes, words, strict=True):
            slot = int(key >> shift)
            while keys[slot] != 0:
                slot = (slot + 1) & (size - 1)
            keys[slot] = key
            valences[slot] = cleaned[word]
        return cls(keys, valences)


def domain_key(domain: str | None) -> int:
    """The key that makes a language's private copy of each feature; 0 = unknown language."""
    if not domain or domain == "und":
        return 0
    return int(np.frombuffer(_sentiment.token_keys([domain]), dtype=np.uint64)[0]) or 1


def extract(
    texts: Sequence[str], domains: Sequence[str | None], spec: FeatureSpec, lexicon: LexiconTable
) -> Features:
    """The features `predict` scores, for training and for checking it."""
    keys = np.array([domain_key(d) for d in domains], dtype=np.uint64)
    raw_offsets, raw_columns, raw_dense = _sentiment.features(
        list(texts), keys, spec.as_tuple(), lexicon.keys, lexicon.valences
    )
    offsets = np.frombuffer(raw_offsets, dtype=np.int64)
    counts = np.diff(offsets)
    values = np.repeat(1.0 / np.sqrt(np.maximum(counts, 1)), counts)
    return Features(
        offsets=offsets,
        columns=np.frombuffer(raw_columns, dtype=np.int32),
        values=values,
        dense=np.frombuffer(raw_dense, dtype=np.float64).reshape(len(texts), N_DENSE),
    )


class StreamSentimentModel:
    classes: tuple[str, ...] = CLASSES

    def __init__(
        self,
        spec: FeatureSpec,
        table: np.ndarray,
        params: np.ndarray,
        lexicon: LexiconTable,
        metadata: dict,
    ):
        if _sentiment is None:
            raise RuntimeError("kalrav.nlp.stream._sentiment is not built")
        self.spec = spec
        self.table = np.ascontiguousarray(table, dtype=np.int8)  # (2**bits, 2)
        # [scale, bias neutral, bias positive, dense neutral (4), dense positive (4)], all
        # relative to negative: a softmax over three classes needs only the differences.
        self.params = np.ascontiguousarray(params, dtype=np.float64)
        self.lexicon = lexicon
        self.metadata = metadata
        self.version = str(metadata.get("version", "unversioned"))
        self._keys: dict[tuple[str | None, ...], np.ndarray] = {}
        self._spec_tuple = spec.as_tuple()

    @classmethod
    def load(cls, stem: Path) -> StreamSentimentModel:
        metadata = json.loads(stem.with_suffix(".json").read_text(encoding="utf-8"))
        if metadata.get("format") != FORMAT:
            raise RuntimeError(
                f"{stem}: format {metadata.get('format')!r}, this code reads {FORMAT!r}"
            )
        if tuple(metadata["classes"]) != CLASSES:
            raise RuntimeError(f"{stem}: classes {metadata['classes']} are not {CLASSES}")
        with np.load(stem.with_suffix(".npz")) as arrays:
            return cls(
                FeatureSpec(**metadata["features"]),
                arrays["table"],
                arrays["params"],
                LexiconTable(arrays["lexicon_keys"], arrays["lexicon_valences"]),
                metadata,
            )

    def save(self, stem: Path) -> None:
        np.savez_compressed(
            stem.with_suffix(".npz"),
            table=self.table,
            params=self.params,
            lexicon_keys=self.lexicon.keys,
            lexicon_valences=self.lexicon.valences,
        )
        text = json.dumps(self.metadata, indent=2, ensure_ascii=False)
        stem.with_suffix(".json").write_text(text + "\n", encoding="utf-8")

    def _table_keys(self, domain_table: Sequence[str | None]) -> np.ndarray:
        # The reader passes the same table every batch: hash its codes once.
        key = tuple(domain_table)
        keys = self._keys.get(key)
        if keys is None:
            keys = np.array([domain_key(d) for d in key], dtype=np.uint64)
            if len(self._keys) < 16:
                self._keys[key] = keys
        return keys

    def predict(
        self, texts: Sequence[str], domain_codes: np.ndarray, domain_table: Sequence[str | None]
    ) -> tuple[np.ndarray, np.ndarray]:
        """(class index int32, score float32 in -1..1) per text; domain_codes[i] indexes
        domain_table (None = unknown language: shared features only)."""
        count = len(texts)
        classes = np.empty(count, dtype=np.int32)
        scores = np.empty(count, dtype=np.float32)
        if not count:
            return classes, scores
        keys = self._table_keys(domain_table)[np.asarray(domain_codes, dtype=np.intp)]
        _sentiment.predict(
            texts if isinstance(texts, list) else list(texts),
            keys,
            self._spec_tuple,
            self.lexicon.keys,
            self.lexicon.valences,
            self.table,
            self.params,
            classes,
            scores,
        )
        return classes, scores

    def decision_from_features(self, features: Features) -> np.ndarray:
        """Scores of (neutral, positive) relative to negative, computed with numpy from
        `extract`'s features: what the C code computes, for tests and for training."""
        weights = self.table.astype(np.float64) * self.params[0]
        rows = np.repeat(np.arange(len(features.offsets) - 1), np.diff(features.offsets))
        out = np.zeros((len(features.offsets) - 1, 2))
        for k in range(2):
            out[:, k] = np.bincount(
                rows, weights=weights[features.columns, k] * features.values, minlength=len(out)
            )
        out += self.params[1:3]
        out += features.dense @ self.params[3:].reshape(2, N_DENSE).T
        return out


_loaded: dict[str, StreamSentimentModel] = {}
_lock = threading.Lock()


def get_stream_sentiment(name: str) -> StreamSentimentModel | None:
    """`name` is the KALRAV_NLP_SENTIMENT_MODEL setting ("commercial" or "all"); loaded once,
    shared by threads; None when the native module is not built."""
    if _sentiment is None:
        return None
    model = _loaded.get(name)
    if model is None:
        with _lock:
            model = _loaded.get(name)
            if model is None:
                model = _loaded[name] = StreamSentimentModel.load(
                    WEIGHTS_DIR / f"stream-sentiment-{name}"
                )
    return model
