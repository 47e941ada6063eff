"""The words of a text as queries and posts both see them: Unicode-aware, case- and accent-folded.

Mirrors the inbox routing rules (`kalrav/inbox/intake/routing.py`): a word is letters, digits
and their combining marks, so a Bengali, Hindi or Gujarati word keeps its vowel signs and
viramas (Python's `re` counts them as separators and cuts the word apart). The zero-width
joiner and non-joiner only choose how a conjunct is drawn (Bengali "র‍্য", Hindi half forms):
they are folded away, so a word typed with one is one word, the same as without it.

Accents: Greek is written with and without the tonos (and always without it in capitals:
"ΚΑΦΕΣ"), so "καφές", "καφες" and "ΚΑΦΕΣ" are one word here. The same folding is applied to
Latin letters ("café" is "cafe"). Only the generic combining accents (U+0300-U+036F) are
dropped, never the marks of Indic scripts, which change the word.
"""

from __future__ import annotations

import unicodedata

import regex

# The `regex` module's \w already holds the marks (Python's `re` does not); \p{M} says so.
WORD = regex.compile(r"[\w\p{M}]+")
# Accents, and the zero-width joiner and non-joiner: they choose a conjunct's shape, not the
# word, and the same word is written with and without them (Bengali "র‍্যাব" and "র্যাব").
_FOLDED_AWAY = regex.compile(r"[\u0300-\u036f\u200c\u200d]+")
# Links are not words: "https", "com" and the path would match queries by accident.
_LINK = regex.compile(r"(?:https?://|www\.)\S+", regex.IGNORECASE)
_HASHTAG = regex.compile(rf"(?<![\w\p{{M}}&])#({WORD.pattern})")
# Handles may hold dots and dashes ("@name.bsky.social"), never at their end.
_MENTION = regex.compile(r"(?<![\w@])@(\w(?:[\w.\-]*\w)?)")


def fold(text: str) -> str:
    """Case and accent folded, the form every comparison uses."""
    text = text.casefold()
    if text.isascii():
        return text
    return unicodedata.normalize("NFC", _FOLDED_AWAY.sub("", unicodedata.normalize("NFD", text)))


def words(text: str) -> list[str]:
    """The folded words of a text, in order, links left out."""
    text = fold(text)
    if "http" in text or "www." in text:
        text = _LINK.sub(" ", text)
    return WORD.findall(text)


def is_word(text: str) -> bool:
    """Whether a folded string is exactly one word."""
    return WORD.fullmatch(text) is not None


def hashtags(text: str) -> list[str]:
    return [fold(tag) for tag in _HASHTAG.findall(text)] if "#" in text else []


def mentions(text: str) -> list[str]:
    return [handle.casefold() for handle in _MENTION.findall(text)] if "@" in text else []
