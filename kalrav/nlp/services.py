"""What the other apps call: language and sentiment of a batch of texts.

    from kalrav.nlp.services import classify_batch
    results = classify_batch([message.text for message in messages])

Models load on the first call and stay for the life of the process (thread-safe).

Corrections: when a person changes a message's sentiment in the inbox, the inbox should call
`record_correction` (below) from its own service function. Until a corrections table exists
it only validates and logs; the plan is in docs/nlp.md ("Corrections").
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from .config import NlpSettings, load_settings
from .language import LanguageIdentifier, LanguageResult, get_identifier
from .sentiment import SentimentModel, get_model
from .training.datasets import LABELS

log = logging.getLogger("kalrav.nlp")


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


def sentiment_domain(result: LanguageResult) -> str | None:
    """The sentiment model's name for a language: romanized Hindi has weights of its own."""
    if result.language == "und":
        return None
    if result.language == "hi" and result.script == "Latn":
        return "hi-Latn"
    return result.language


def classify_batch(texts: Sequence[str]) -> list[Classification]:
    """Language and sentiment of each text, in order. Texts longer than KALRAV_NLP_MAX_CHARS
    are judged on their beginning; empty texts get "und" and a neutral sentiment."""
    if not texts:
        return []
    limit = settings().max_chars
    clipped = [text[:limit] for text in texts]
    languages = language_identifier().detect_batch(clipped)
    sentiments = sentiment_model().predict(clipped, [sentiment_domain(r) for r in languages])
    return [
        Classification(lang.language, lang.confidence, feeling.label, feeling.score)
        for lang, feeling in zip(languages, sentiments, strict=True)
    ]


def record_correction(
    *, workspace_id: int, text: str, language: str, sentiment: str, corrected_by_id: int
) -> None:
    """The hook for a person's correction of a message's sentiment.

    To be backed by a `SentimentCorrection` row (workspace, text, language, label, who, when)
    written by the inbox's service function in the same transaction as its audit entry; then
    `kalrav nlp train --corrections WORKSPACE` adds those rows to the training set.
    """
    if sentiment not in LABELS:
        raise ValueError(f"sentiment must be one of {LABELS}, not {sentiment!r}")
    log.info(
        "sentiment correction (not stored yet): workspace=%s language=%s label=%s by=%s",
        workspace_id,
        language,
        sentiment,
        corrected_by_id,
    )
