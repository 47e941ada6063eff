"""Feature hashing of character and word n-grams for a whole batch at once, with numpy only.

Looping over n-grams in Python costs about a microsecond each, and a tweet has hundreds, which
would cap the fast path near 5,000 texts a second before any model ran. Here the batch becomes
one array of code points and every n-gram hash is computed by array arithmetic (modulo 2**64,
which numpy's uint64 gives for free), so the cost per text is a few microseconds.

The hash must never change for a given text: shipped weights are indexed by it. The metadata of
every model records HASH_VERSION and the loader refuses a mismatch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

HASH_VERSION = 1
_P = np.uint64(0x100000001B3)  # FNV-1a prime: odd, so it has an inverse modulo 2**64
_M = 0x9E3779B97F4A7C15  # golden-ratio constant, odd
_M_INV = pow(_M, -1, 1 << 64)
_CHAR_SALT = 0x51ED27
_WORD_SALT = 0xA0761D6478BD642F
_BIGRAM_SALT = 0xE7037ED1A0B428DB
_SPACE = 32


def mix(h: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser: spreads nearby inputs over all 64 bits."""
    h = h ^ (h >> np.uint64(30))
    h = h * np.uint64(0xBF58476D1CE4E5B9)
    h = h ^ (h >> np.uint64(27))
    h = h * np.uint64(0x94D049BB133111EB)
    return h ^ (h >> np.uint64(31))


def string_key(value: str) -> np.uint64:
    """A stable 64-bit key for a short label such as a language code (FNV-1a, then mixed)."""
    acc = 0xCBF29CE484222325
    for point in value.encode("utf-32-le"):
        acc = ((acc ^ point) * int(_P)) & 0xFFFFFFFFFFFFFFFF
    return mix(np.array([acc], dtype=np.uint64))[0]


@dataclass(frozen=True)
class HashingSpec:
    bits: int = 20
    char_min: int = 2
    char_max: int = 5
    word_max: int = 2  # 1 = unigrams, 2 = unigrams and bigrams

    def as_dict(self) -> dict[str, int]:
        return {
            "bits": self.bits,
            "char_min": self.char_min,
            "char_max": self.char_max,
            "word_max": self.word_max,
            "hash_version": HASH_VERSION,
        }


@dataclass
class Hashed:
    """Every n-gram occurrence of a batch: which text it came from and its 64-bit hash."""

    docs: np.ndarray  # int64, text index of each occurrence
    hashes: np.ndarray  # uint64
    word_docs: np.ndarray  # int64, text index of each single word
    word_hashes: np.ndarray  # uint64, unsalted word hashes (for lexicon look-ups)
    count: int


def _code_points(texts: Sequence[str]) -> np.ndarray:
    # NUL separates texts; padding spaces give the first and last word their boundaries.
    joined = "\x00".join(f" {text.replace(chr(0), ' ')} " for text in texts)
    return np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)


def word_hashes(words: Sequence[str]) -> np.ndarray:
    """Unsalted hashes of single words, as `hash_batch` computes them inside texts."""
    return hash_batch(words, HashingSpec(char_min=1, char_max=0, word_max=1)).word_hashes


def hash_batch(texts: Sequence[str], spec: HashingSpec) -> Hashed:
    """Hash the character n-grams, words and word bigrams of already cleaned texts."""
    points = _code_points(texts)
    size = points.size
    separator = points == 0
    doc_of = np.cumsum(separator)
    seps_before = np.concatenate(([0], doc_of))  # separators in points[:k]
    docs_out: list[np.ndarray] = []
    hashes_out: list[np.ndarray] = []

    rolling = points.copy()
    for n in range(1, spec.char_max + 1):
        if n > 1:
            rolling = rolling[:-1] * _P + points[n - 1 :]
        if n < spec.char_min:
            continue
        starts = np.arange(rolling.size)
        valid = seps_before[starts + n] == seps_before[starts]
        # An n-gram of spaces only says nothing; the padding would otherwise create them.
        valid &= points[: rolling.size] != _SPACE if n == 1 else valid
        docs_out.append(doc_of[starts[valid]])
        hashes_out.append(mix(rolling[valid] + np.uint64(_CHAR_SALT * n)))

    is_char = (points != _SPACE) & ~separator
    previous = np.concatenate(([False], is_char[:-1]))
    following = np.concatenate((is_char[1:], [False]))
    word_starts = np.flatnonzero(is_char & ~previous)
    word_ends = np.flatnonzero(is_char & ~following) + 1
    powers = np.cumprod(np.full(size, _M, dtype=np.uint64), dtype=np.uint64)
    powers = np.concatenate(([np.uint64(1)], powers[:-1]))
    inverse_powers = np.cumprod(np.full(size, _M_INV, dtype=np.uint64), dtype=np.uint64)
    inverse_powers = np.concatenate(([np.uint64(1)], inverse_powers[:-1]))
    prefix = np.concatenate(([np.uint64(0)], np.cumsum(points * powers, dtype=np.uint64)))
    words = mix((prefix[word_ends] - prefix[word_starts]) * inverse_powers[word_starts])
    word_docs = doc_of[word_starts]
    docs_out.append(word_docs)
    hashes_out.append(mix(words ^ np.uint64(_WORD_SALT)))
    if spec.word_max >= 2 and words.size > 1:
        same = word_docs[1:] == word_docs[:-1]
        pairs = words[:-1][same] * _P + words[1:][same]
        docs_out.append(word_docs[1:][same])
        hashes_out.append(mix(pairs ^ np.uint64(_BIGRAM_SALT)))

    return Hashed(
        docs=np.concatenate(docs_out).astype(np.int64),
        hashes=np.concatenate(hashes_out),
        word_docs=word_docs.astype(np.int64),
        word_hashes=words,
        count=len(texts),
    )


def with_domains(hashed: Hashed, domain_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each feature twice: once shared by all languages, once private to the text's language.

    The shared copy lets emoji, names and loanwords transfer between languages; the private
    copy lets "gift" mean one thing in English and another in German (Daumé III, 2007).
    A key of 0 means the language is unknown, and such texts get the shared copy only.
    """
    keys = domain_keys[hashed.docs]
    known = keys != 0
    docs = np.concatenate((hashed.docs, hashed.docs[known]))
    hashes = np.concatenate((hashed.hashes, mix(hashed.hashes[known] ^ keys[known])))
    return docs, hashes


def buckets(hashes: np.ndarray, bits: int) -> np.ndarray:
    return (hashes >> np.uint64(64 - bits)).astype(np.int64)
