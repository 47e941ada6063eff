"""The stream reader: the native language identifier, then the native sentiment model with
each text's sentiment domain (see the package's docstring)."""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .language import StreamLanguageIdentifier, get_stream_identifier
from .sentiment import StreamSentimentModel, get_stream_sentiment


@dataclass(frozen=True)
class StreamReadings:
    """One batch's readings as columns: a post costs no object of its own."""

    languages: list[str]  # ISO 639-1, "und" when the text holds no words
    sentiments: list[str]  # "negative", "neutral" or "positive"
    scores: list[float]  # P(positive) - P(negative)


class StreamReader:
    def __init__(
        self, identifier: StreamLanguageIdentifier, sentiment: StreamSentimentModel, max_chars: int
    ) -> None:
        self.identifier = identifier
        self.sentiment = sentiment
        self.max_chars = max_chars
        self._label_names = np.array(identifier.labels, dtype=object)
        self._class_names = np.array(sentiment.classes, dtype=object)

    def read(self, texts: Sequence[str]) -> StreamReadings:
        if not texts:
            return StreamReadings([], [], [])
        limit = self.max_chars
        # Checking the longest costs a C loop; clipping every text would cost a Python one.
        clipped = list(texts) if max(map(len, texts)) <= limit else [text[:limit] for text in texts]
        labels, _ = self.identifier.detect(clipped)
        classes, scores = self.sentiment.predict(clipped, labels, self.identifier.domains)
        # numpy's take over object arrays and its rounding run in C: at stream volumes a list
        # comprehension per column cost more than the sentiment model itself.
        return StreamReadings(
            languages=self._label_names.take(labels).tolist(),
            sentiments=self._class_names.take(classes).tolist(),
            scores=np.round(scores.astype(np.float64), 4).tolist(),
        )


def is_built() -> bool:
    """Whether the install compiled both extensions (cheap: nothing is loaded)."""
    return all(
        importlib.util.find_spec(f"kalrav.nlp.stream.{name}") is not None
        for name in ("_langid", "_sentiment")
    )


_readers: dict[tuple, StreamReader | None] = {}
_lock = threading.Lock()


def get_stream_reader(
    languages: Sequence[str], sentiment_model: str, max_chars: int
) -> StreamReader | None:
    """The reader for these settings, built once and shared by every thread; None when the
    native extensions are not built."""
    key = (tuple(languages), sentiment_model, max_chars)
    if key in _readers:
        return _readers[key]
    with _lock:
        if key not in _readers:
            identifier = get_stream_identifier(languages, max_chars)
            sentiment = get_stream_sentiment(sentiment_model)
            _readers[key] = (
                StreamReader(identifier, sentiment, max_chars)
                if identifier is not None and sentiment is not None
                else None
            )
        return _readers[key]
