"""Polarity lexicons as features: VADER's English words and emoji for every language.

The lexicon is turned into sorted 64-bit word hashes when a model is trained and stored in the
model file, so serving needs neither vaderSentiment nor a dictionary look-up per word: one
`searchsorted` scores every word of a batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .hashing import word_hashes
from .textprep import EMOJI

# Columns of the dense block: positive and negative mass from words, then from emoji.
DENSE_COLUMNS = ("word_positive", "word_negative", "emoji_positive", "emoji_negative")


@dataclass
class Lexicon:
    hashes: np.ndarray  # sorted uint64
    valences: np.ndarray  # float32 in [-1, 1]
    is_emoji: np.ndarray  # bool

    @classmethod
    def empty(cls) -> Lexicon:
        return cls(np.zeros(0, np.uint64), np.zeros(0, np.float32), np.zeros(0, bool))

    @classmethod
    def from_entries(cls, entries: dict[str, float]) -> Lexicon:
        words = sorted(entries)
        hashes = word_hashes(words)
        order = np.argsort(hashes, kind="stable")
        valences = np.array([entries[w] for w in words], dtype=np.float32)
        emoji = np.array([bool(EMOJI.fullmatch(w)) for w in words], dtype=bool)
        return cls(hashes[order], valences[order], emoji[order])

    def features(self, docs: np.ndarray, hashes: np.ndarray, count: int) -> np.ndarray:
        out = np.zeros((count, len(DENSE_COLUMNS)), dtype=np.float32)
        if not self.hashes.size or not hashes.size:
            return out
        where = np.searchsorted(self.hashes, hashes)
        where[where == self.hashes.size] = 0
        found = self.hashes[where] == hashes
        docs, where = docs[found], where[found]
        valence = self.valences[where].astype(np.float64)
        emoji = self.is_emoji[where]
        for column, mask in enumerate(
            (
                ~emoji & (valence > 0),
                ~emoji & (valence < 0),
                emoji & (valence > 0),
                emoji & (valence < 0),
            )
        ):
            out[:, column] = np.bincount(docs[mask], weights=np.abs(valence[mask]), minlength=count)
        return np.log1p(out)
