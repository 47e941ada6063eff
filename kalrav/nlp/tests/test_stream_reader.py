"""`classify_stream`: the stream reader's columns, and the portable path where it is not built."""

from __future__ import annotations

import pytest

from kalrav.nlp import services
from kalrav.nlp.stream.reader import is_built

TEXTS = [
    "The tea was wonderful, thank you so much",
    "This chai was terrible and cold, awful",
    "আজ চা খেলাম",
    "🙂🙂 https://x.example/1",
    "Η παραγγελία ήρθε",
]


def test_without_the_compiled_reader_streams_are_read_by_the_portable_path(monkeypatch):
    """No C compiler at install: classify_stream gives classify_batch's answers, as columns."""
    monkeypatch.setattr(services, "stream_reader", lambda: None)
    found = services.classify_stream(TEXTS)
    expected = services.classify_batch(TEXTS)
    assert found.languages == [r.language for r in expected]
    assert found.sentiments == [r.sentiment for r in expected]
    assert found.scores == [r.sentiment_score for r in expected]


@pytest.mark.skipif(not is_built(), reason="the stream reader's C extensions are not built")
def test_the_stream_reader_gives_one_reading_per_text_in_order():
    found = services.classify_stream(TEXTS)
    assert found.languages == ["en", "en", "bn", "und", "el"]
    assert found.sentiments[:2] == ["positive", "negative"]
    assert all(-1 <= score <= 1 for score in found.scores)
    assert services.classify_stream([]).languages == []
    # A text past KALRAV_NLP_MAX_CHARS is read on its beginning, as classify_batch reads it.
    long = "The tea was wonderful, thank you so much. " + "x" * 5000
    assert services.classify_stream([long]).languages == ["en"]
