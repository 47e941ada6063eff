"""Language identification for short, noisy social text.

Order of decisions, cheapest and surest first:
1. nothing left after removing links, mentions and emoji: "und" with confidence 0;
2. a script that only one configured language uses (Bengali, Gujarati, Greek...): that language;
3. Latin script that the romanized-Hindi classifier recognises: "hi" (no published detector
   does this, and answering "en" for Hinglish would send it to the wrong sentiment model);
4. otherwise lingua, restricted to the configured languages (more accurate and 5x lighter than
   all 75; see bench/RESULTS.md).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder

from .featurize import featurize
from .hashing import HASH_VERSION, HashingSpec, hash_batch
from .lexicon import Lexicon
from .linear import LinearModel
from .textprep import for_features, letter_count, script_counts, strip_noise

SUPPORTED_LANGUAGES = frozenset(lang.iso_code_639_1.name.lower() for lang in Language.all())
# Which languages write in each script (only those lingua knows). A script whose list meets the
# configured languages in exactly one code decides the language on its own.
SCRIPT_LANGUAGES = {
    "Beng": ("bn",),
    "Gujr": ("gu",),
    "Grek": ("el",),
    "Taml": ("ta",),
    "Deva": ("hi", "mr"),
    "Arab": ("ar", "ur", "fa"),
    "Cyrl": ("ru", "uk", "bg", "be", "mk", "sr", "kk", "mn"),
}
HINGLISH_MODEL = Path(__file__).resolve().parent / "weights" / "hinglish"
HINGLISH_FORMAT = "kalrav-nlp-hinglish/1"


@dataclass(frozen=True)
class LanguageResult:
    language: str  # ISO 639-1, or "und" when the text holds no words
    confidence: float  # 0..1
    script: str  # ISO 15924 of most letters ("Latn", "Deva"...), "" for "und"


UNKNOWN = LanguageResult("und", 0.0, "")


class HinglishClassifier:
    """Is this Latin-script text romanized Hindi? A character n-gram logistic regression."""

    def __init__(self, model: LinearModel):
        meta = model.metadata
        spec = dict(meta["hashing"])
        if meta.get("format") != HINGLISH_FORMAT or spec.pop("hash_version") != HASH_VERSION:
            raise RuntimeError(
                "the romanized-Hindi model does not match this code; run `kalrav nlp train`"
            )
        self.model = model
        self.spec = HashingSpec(**spec)
        self.threshold = float(meta["threshold"])
        self.unknown_share = float(meta["unknown_share"])
        self.vocabulary = model.extras["other_latin_vocabulary"]

    @classmethod
    def load(cls) -> HinglishClassifier:
        return cls(LinearModel.load(HINGLISH_MODEL))

    def probabilities(self, texts: Sequence[str]) -> list[float]:
        if not texts:
            return []
        batch = featurize(texts, [None] * len(texts), self.spec, Lexicon.empty(), negation=False)
        return [float(p) for p in self.model.probabilities(batch)[:, 1]]

    def unknown_shares(self, texts: Sequence[str]) -> np.ndarray:
        """Share of each text's words never seen in the other Latin-script languages' posts.

        Short English ("I love this!") can look Hindi to the n-grams; it never has unknown
        words. The same rule chose the Hindi rows the model was trained on.
        """
        words = [
            " ".join(w for w in for_features(t).split() if any(ch.isalpha() for ch in w))
            for t in texts
        ]
        hashed = hash_batch(words, HashingSpec(char_min=1, char_max=0, word_max=1))
        where = np.searchsorted(self.vocabulary, hashed.word_hashes)
        where[where == self.vocabulary.size] = 0
        unknown = self.vocabulary[where] != hashed.word_hashes
        total = np.bincount(hashed.word_docs, minlength=len(texts))
        missing = np.bincount(hashed.word_docs, weights=unknown, minlength=len(texts))
        return np.divide(missing, total, out=np.zeros(len(texts)), where=total > 0)

    def is_hindi(self, texts: Sequence[str]) -> list[float]:
        """P(romanized Hindi) for each text, or 0 when it fails the vocabulary test."""
        shares = self.unknown_shares(texts)
        # Most Latin-script posts (English, Spanish...) fail the vocabulary test: the n-gram
        # model only reads the others, which makes language identification about 15% faster.
        candidates = [i for i, share in enumerate(shares) if share >= self.unknown_share]
        hindi = [0.0] * len(texts)
        for i, p in zip(
            candidates, self.probabilities([texts[i] for i in candidates]), strict=True
        ):
            hindi[i] = p
        return hindi


class LanguageIdentifier:
    def __init__(
        self, languages: Sequence[str], max_chars: int, hinglish: HinglishClassifier | None
    ):
        self.languages = tuple(languages)
        self.max_chars = max_chars
        self.hinglish = hinglish if "hi" in self.languages else None
        lingua_languages = [
            Language.from_iso_code_639_1(getattr(IsoCode639_1, c.upper())) for c in self.languages
        ]
        builder = (
            LanguageDetectorBuilder.from_languages(*lingua_languages)
            if len(lingua_languages) > 1
            else LanguageDetectorBuilder.from_languages(*lingua_languages, Language.ENGLISH)
        )
        # Loading every model now costs a second and ~250 MB once, instead of a slow first
        # request in each language later.
        self.detector: LanguageDetector = builder.with_preloaded_language_models().build()
        self._sole_language = {
            script: matches[0]
            for script, codes in SCRIPT_LANGUAGES.items()
            if len(matches := [c for c in codes if c in self.languages]) == 1
        }

    def detect_batch(self, texts: Sequence[str]) -> list[LanguageResult]:
        results: list[LanguageResult | None] = [None] * len(texts)
        words = [strip_noise(text[: self.max_chars]) for text in texts]
        latin: list[int] = []
        scripts: list[tuple[str, float]] = []
        for i, text in enumerate(words):
            counts = script_counts(text)
            if not counts or letter_count(text) == 0:
                results[i] = UNKNOWN
                scripts.append(("", 0.0))
                continue
            script = max(counts, key=counts.__getitem__)
            share = counts[script] / sum(counts.values())
            scripts.append((script, share))
            sole = self._sole_language.get(script)
            if sole is not None:
                results[i] = LanguageResult(sole, round(share, 4), script)
            elif script == "Latn" and self.hinglish is not None:
                latin.append(i)
        if self.hinglish is not None and latin:
            for i, p in zip(latin, self.hinglish.is_hindi([words[i] for i in latin]), strict=True):
                if p >= self.hinglish.threshold:
                    results[i] = LanguageResult("hi", round(p * scripts[i][1], 4), "Latn")
        for i, result in enumerate(results):
            if result is None:
                results[i] = self._lingua(words[i], scripts[i][0])
        return [r if r is not None else UNKNOWN for r in results]

    def detect(self, text: str) -> LanguageResult:
        return self.detect_batch([text])[0]

    def _lingua(self, text: str, script: str) -> LanguageResult:
        values = self.detector.compute_language_confidence_values(text)
        if not values or values[0].value <= 0:
            return UNKNOWN
        best = values[0]
        code = best.language.iso_code_639_1.name.lower()
        if code not in self.languages:  # the padding language of a one-language configuration
            return UNKNOWN
        return LanguageResult(code, round(float(best.value), 4), script)


_identifiers: dict[tuple, LanguageIdentifier] = {}
_lock = threading.Lock()


def get_identifier(languages: Sequence[str], max_chars: int) -> LanguageIdentifier:
    """The identifier for these settings, built on first use and shared by every thread."""
    key = (tuple(languages), max_chars)
    identifier = _identifiers.get(key)
    if identifier is None:
        with _lock:
            identifier = _identifiers.get(key)
            if identifier is None:
                hinglish = HinglishClassifier.load() if "hi" in languages else None
                identifier = _identifiers[key] = LanguageIdentifier(languages, max_chars, hinglish)
    return identifier
