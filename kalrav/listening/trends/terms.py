"""The terms of a mention, as dashboards, trends and new-term alerts count them: its words
(Indic words whole, see `kalrav.listening.query.words`) and its hashtags with their sign; short
words, numbers and the commonest words left out."""

from __future__ import annotations

from kalrav.listening.query import words
from kalrav.listening.trends.stopwords import STOPWORDS

MIN_LENGTH = 3


def terms_of(text: str) -> set[str]:
    tags = set(words.hashtags(text))
    # A hashtag's word counts once, as the hashtag.
    found = {
        w
        for w in words.words(text)
        if len(w) >= MIN_LENGTH and not w.isdigit() and w not in STOPWORDS and w not in tags
    }
    return found | {f"#{tag}" for tag in tags}


def text_of(title: str, text: str) -> str:
    return f"{title}\n{text}" if title else text
