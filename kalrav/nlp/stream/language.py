"""Language identification at stream volumes: the native module `_langid` (langid.c).

The same decisions as kalrav.nlp.language, in the same order, at under 1 µs of CPU a text
instead of about 160 (bench: the 14 shared sets interleaved): no letters left after removing links, mentions, hashtags and emoji is "und"; a
script only one configured language writes decides alone; Arabic script is Urdu when it holds
a letter only Urdu writes; Latin script goes to a linear model over hashed character n-grams
that knows en es pt fr de it and romanized Hindi (trained by nlp_training.stream_language_training).

Configuration is honoured whatever the native model knows: when a configured language writes a
script the native model cannot decide (nl or pl for Latin, fa for Arabic, mr beside hi for
Devanagari, two Cyrillic languages), the texts of that script go to the portable identifier
(kalrav.nlp.language.get_identifier), and its answers are mapped onto this identifier's labels.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..language import SCRIPT_LANGUAGES, LanguageResult, get_identifier

try:
    from . import _langid  # type: ignore[attr-defined]
except ImportError:  # no C compiler at install time: listening uses the portable path
    _langid = None

# The features langid.c computes (its FEATURE_VERSION); 0 when it is not built.
FEATURE_VERSION: int = _langid.FEATURE_VERSION if _langid is not None else 0

MODEL = Path(__file__).resolve().parents[1] / "weights" / "stream-language"
FORMAT = "kalrav-nlp-stream-language/1"
# The classes of the native Latin model, in the order of its weight columns (8 at most).
LATIN_CLASSES = ("en", "es", "pt", "fr", "de", "it", "hi-Latn")
NATIVE_CLASSES = 8
# Script index -> name, in langid.c's order (0: no letter).
SCRIPT_NAMES = ("", "Latn", "Deva", "Beng", "Gujr", "Grek", "Arab", "Taml", "Cyrl")
SCRIPT_INDEX = {name: index for index, name in enumerate(SCRIPT_NAMES) if name}
# Languages lingua knows that write a script langid.c does not count (as textprep.SCRIPTS
# does not: the portable identifier answers "und" for them too). Every other language lingua
# knows outside SCRIPT_LANGUAGES writes Latin.
UNCOUNTED_SCRIPT_LANGUAGES = frozenset({"hy", "he", "ja", "ka", "ko", "pa", "te", "th", "zh"})
# The Arabic-script languages the native rule tells apart.
NATIVE_ARABIC = ("ar", "ur")
# langid.c's routes: a label >= 0, or one of these.
FALLBACK, LATIN_MODEL, ARABIC_RULE = -1, -2, -3
# One Urdu-only letter says Urdu (no Arabic tweet of the shared set has one: the training's
# metadata says "false_urdu").
URDU_LETTERS = 1


def available() -> bool:
    return _langid is not None


def language_script(code: str) -> str:
    """The script a configured language is written in (ISO 15924), "" when langid.c does not
    count it."""
    for script, codes in SCRIPT_LANGUAGES.items():
        if code in codes:
            return script
    return "" if code in UNCOUNTED_SCRIPT_LANGUAGES else "Latn"


@dataclass(frozen=True)
class NativeFeatures:
    """What the native model reads of each text, for training and tests."""

    buckets: np.ndarray  # uint32, every text's hashed n-grams and words, in order
    offsets: np.ndarray  # int64, n + 1: text i's buckets are buckets[offsets[i]:offsets[i + 1]]
    scripts: np.ndarray  # uint8, main script index into SCRIPT_NAMES (0: no letter)
    urdu: np.ndarray  # uint32, Urdu-only letters
    words: np.ndarray  # uint32, hashes of the Latin words (for the vocabulary test)
    word_offsets: np.ndarray  # int64, n + 1


def native_features(texts: Sequence[str], max_chars: int, bits: int) -> NativeFeatures:
    if _langid is None:
        raise RuntimeError("the native module _langid is not built (scripts/build_native.py)")
    parts = _langid.features(list(texts), max_chars, bits)
    types = (np.uint32, np.int64, np.uint8, np.uint32, np.uint32, np.int64)
    return NativeFeatures(*(np.frombuffer(p, dtype=t) for p, t in zip(parts, types, strict=True)))


def vocabulary_bits(word_hashes: np.ndarray, bits: int) -> np.ndarray:
    """The bitset langid.c tests words against (little-endian bit order within each byte)."""
    assert _langid is not None
    multiplier = np.uint32(_langid.VOCABULARY_MULTIPLIER)
    positions = (word_hashes.astype(np.uint32) * multiplier) >> np.uint32(32 - bits)
    bitset = np.zeros(1 << bits, dtype=bool)
    bitset[positions] = True
    return np.packbits(bitset, bitorder="little")


class StreamLanguageIdentifier:
    def __init__(self, languages: Sequence[str], max_chars: int, model: dict):
        if _langid is None:
            raise RuntimeError("the native module _langid is not built")
        if model["feature_version"] != _langid.FEATURE_VERSION:
            raise RuntimeError(
                "the stream language model does not match langid.c; run "
                "`python -m nlp_training.stream_language_training`"
            )
        self.languages = tuple(languages)
        self.max_chars = max_chars
        labels = ["und", *self.languages]
        scripts = ["", *(language_script(c) for c in self.languages)]
        domains: list[str | None] = [None, *self.languages]
        if "hi" in self.languages:  # romanized Hindi: the same language, its own sentiment model
            labels.append("hi")
            scripts.append("Latn")
            domains.append("hi-Latn")
        self.labels: tuple[str, ...] = tuple(labels)
        self.scripts: tuple[str, ...] = tuple(scripts)
        self.domains: tuple[str | None, ...] = tuple(domains)
        self._index = {
            (code, script): i for i, (code, script) in enumerate(zip(labels, scripts, strict=True))
        }
        self._weights = np.ascontiguousarray(model["weights"], dtype=np.int8)
        self._scale = float(model["scale"])
        self._bias = np.ascontiguousarray(model["bias"], dtype=np.float32)
        self._vocabulary = np.ascontiguousarray(model["vocabulary"], dtype=np.uint8)
        self._unknown_share = float(model["unknown_share"])
        class_labels = [self._label_of(c) for c in LATIN_CLASSES]
        if len(self.languages) == 1 and "en" not in self.languages:
            # As the portable identifier pads a one-language lingua with English: English
            # still competes, and answers "und" when it wins.
            class_labels[LATIN_CLASSES.index("en")] = 0
        class_labels += [-1] * (NATIVE_CLASSES - len(LATIN_CLASSES))
        self._class_labels = np.array(class_labels, dtype=np.int32)
        self._routes = self._build_routes()
        self._falls_back = bool((self._routes[: len(SCRIPT_NAMES)] == FALLBACK).any())

    def _label_of(self, code: str) -> int:
        """The label of a Latin model class, -1 when its language is not configured (it does
        not compete, as lingua only weighs the configured languages)."""
        if code == "hi-Latn":
            return self._index.get(("hi", "Latn"), -1)
        return self._index.get((code, "Latn"), -1)

    def _build_routes(self) -> np.ndarray:
        routes = np.zeros(len(SCRIPT_NAMES) + 4, dtype=np.int32)
        for script, index in SCRIPT_INDEX.items():
            configured = [c for c in self.languages if language_script(c) == script]
            if script == "Latn":
                if "hi" in self.languages:
                    configured.append("hi")
                native = {c.split("-")[0] for c in LATIN_CLASSES}
                if not configured:
                    routes[index] = 0  # the portable identifier answers "und" there too
                elif all(c in native for c in configured):
                    routes[index] = LATIN_MODEL
                else:
                    routes[index] = FALLBACK
            elif script == "Arab" and len(configured) > 1:
                if all(c in NATIVE_ARABIC for c in configured):
                    routes[index] = ARABIC_RULE
                else:
                    routes[index] = FALLBACK
            elif len(configured) == 1:
                routes[index] = self._index[(configured[0], script)]
            elif configured:
                routes[index] = FALLBACK
            # no configured language writes the script: "und", as lingua finds none either
        arabic = len(SCRIPT_NAMES)
        routes[arabic] = self._index.get(("ar", "Arab"), 0)
        routes[arabic + 1] = self._index.get(("ur", "Arab"), 0)
        routes[arabic + 2] = URDU_LETTERS
        routes[arabic + 3] = LATIN_CLASSES.index("hi-Latn")
        return routes

    def detect(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(label index int32, confidence float32 0..1) for each text, same order."""
        labels = np.empty(len(texts), dtype=np.int32)
        confidences = np.empty(len(texts), dtype=np.float32)
        if not len(texts):
            return labels, confidences
        assert _langid is not None
        _langid.detect(
            texts,
            self.max_chars,
            self._weights,
            self._scale,
            self._bias,
            self._class_labels,
            self._routes,
            self._vocabulary,
            self._unknown_share,
            labels,
            confidences,
        )
        if self._falls_back:
            ask = np.flatnonzero(labels < 0)
            if ask.size:
                portable = get_identifier(self.languages, self.max_chars)
                results = portable.detect_batch([texts[int(i)] for i in ask])
                for i, result in zip(ask, results, strict=True):
                    labels[i] = self.label_of(result)
                    confidences[i] = result.confidence if labels[i] else 0.0
        return labels, confidences

    def label_of(self, result: LanguageResult) -> int:
        """This identifier's label for an answer of the portable identifier."""
        if result.language == "und":
            return 0
        if result.language == "hi" and result.script == "Latn":
            return self._index.get(("hi", "Latn"), 0)
        return self._index.get((result.language, language_script(result.language)), 0)


def load_model() -> dict:
    meta = json.loads(MODEL.with_suffix(".json").read_text(encoding="utf-8"))
    if meta.get("format") != FORMAT:
        raise RuntimeError(f"{MODEL}.json is not a {FORMAT} model")
    with np.load(MODEL.with_suffix(".npz")) as arrays:
        return {
            "weights": arrays["weights"],
            "scale": float(arrays["scale"]),
            "bias": arrays["bias"],
            "vocabulary": arrays["vocabulary"],
            "unknown_share": float(meta["unknown_share"]),
            "feature_version": int(meta["features"]["version"]),
        }


_identifiers: dict[tuple, StreamLanguageIdentifier] = {}
_lock = threading.Lock()


def get_stream_identifier(
    languages: Sequence[str], max_chars: int
) -> StreamLanguageIdentifier | None:
    """Built once per settings and shared by threads; None when the native module is not built."""
    if _langid is None:
        return None
    key = (tuple(languages), max_chars)
    identifier = _identifiers.get(key)
    if identifier is None:
        with _lock:
            identifier = _identifiers.get(key)
            if identifier is None:
                identifier = _identifiers[key] = StreamLanguageIdentifier(
                    languages, max_chars, load_model()
                )
    return identifier
