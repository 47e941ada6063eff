"""Turning raw social text into what the models read: cleaned text and its writing systems.

Both the language detector and the sentiment featurizer start here, so training and inference
see exactly the same text.
"""

from __future__ import annotations

import html
import re

URL = re.compile(r"(?:https?://|www\.)\S+|\bhttp\b", re.IGNORECASE)
MENTION = re.compile(r"(?<!\w)@\w+")
# Hashtags often carry the sentiment ("#fail"), so keep the word and drop only the sign.
HASH_SIGN = re.compile(r"(?<!\w)#(?=\w)")
HASHTAG = re.compile(r"(?<!\w)#\w+")
HTML_ENTITY = re.compile(r"&(?:amp|lt|gt|quot|#39);")
# Some tweet dumps keep JSON escapes as text ("i\u2019m"); read them as the character meant.
LITERAL_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
# "soooooo" and "sooo" mean the same; three letters keep the emphasis without the sparsity.
ELONGATION = re.compile(r"(.)\1{3,}")
DIGITS = re.compile(r"\d+")
# "don't" and "l'amour" stay one word: the negation and the article are part of it.
INNER_APOSTROPHE = re.compile(r"(?<=\w)['\u2019](?=\w)")

# Emoji and pictographs (the ranges emoji occupy in Unicode 15), plus the variation selector
# and zero-width joiner that glue sequences together.
EMOJI_CHARS = "\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\u2300-\u23ff\ufe0f\u200d"
EMOJI = re.compile(f"[{EMOJI_CHARS}]")
# Punctuation splits words. \W is not used because Python counts Indic vowel signs
# (Unicode category Mc/Mn) as non-word characters, which would cut Hindi words apart.
PUNCTUATION = re.compile(
    r"[!-/:-@\[-`{-~\u00a1-\u00bf\u2000-\u206f\u0964\u0965\u3000-\u303f\u060c\u061b\u061f\u066a-\u066d]+"
)
SPACES = re.compile(r"\s+")

SCRIPTS: dict[str, re.Pattern[str]] = {
    "Latn": re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]"),
    "Deva": re.compile(r"[\u0900-\u097f\ua8e0-\ua8ff]"),
    "Beng": re.compile(r"[\u0980-\u09ff]"),
    "Gujr": re.compile(r"[\u0a80-\u0aff]"),
    "Grek": re.compile(r"[\u0370-\u03ff\u1f00-\u1fff]"),
    "Arab": re.compile(r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]"),
    "Taml": re.compile(r"[\u0b80-\u0bff]"),
    "Cyrl": re.compile(r"[\u0400-\u04ff]"),
}
LETTER = re.compile(r"[^\W\d_]")


def _unescape(match: re.Match[str]) -> str:
    return chr(int(match.group(1), 16))


def strip_noise(text: str) -> str:
    """The words of a post: no links, mentions, hashtags, entities or emoji.

    Hashtags go too: they are names and slogans ("#indvssa") more often than sentences, and
    they made English posts about Indian politics look like Hindi to the romanized-Hindi model.
    """
    # Most of these patterns need a character most posts lack: testing for it first gives the
    # same text, and a substring test is far cheaper than a regex search that finds nothing.
    if "\\u" in text:
        text = LITERAL_ESCAPE.sub(_unescape, text)
    if "&" in text:
        text = HTML_ENTITY.sub(" ", text)
    text = URL.sub(" ", text)
    if "@" in text:
        text = MENTION.sub(" ", text)
    if "#" in text:
        text = HASHTAG.sub(" ", text)
    text = EMOJI.sub(" ", text)
    return text


def for_features(text: str) -> str:
    """Lower-cased, placeholders for links and mentions, emoji as separate words."""
    if "\\u" in text:  # as in strip_noise: skip the searches that cannot find anything
        text = LITERAL_ESCAPE.sub(_unescape, text)
    if "&" in text:
        text = HTML_ENTITY.sub(" ", text)
    text = URL.sub(" xurl ", text)
    if "@" in text:
        text = MENTION.sub(" xuser ", text)
    if "#" in text:
        text = HASH_SIGN.sub("", text)
    text = text.lower()
    text = ELONGATION.sub(r"\1\1\1", text)
    text = DIGITS.sub("0", text)
    if "'" in text or "\u2019" in text:
        text = INNER_APOSTROPHE.sub("", text)
    text = EMOJI.sub(lambda m: f" {m.group(0)} " if m.group(0) not in "\ufe0f\u200d" else " ", text)
    text = PUNCTUATION.sub(lambda m: f" {m.group(0)[:3]} ", text)
    return SPACES.sub(" ", text).strip()


def for_embedding(text: str) -> str:
    """What the sentence-embedding model reads: the post as written (case, emoji, hashtags
    kept, since the model knows them), with links and mentions as the placeholders social
    models are usually trained with, and runs of one character cut to three."""
    text = LITERAL_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
    text = html.unescape(text)
    text = URL.sub(" http ", text)
    text = MENTION.sub(" @user ", text)
    text = ELONGATION.sub(r"\1\1\1", text)
    return SPACES.sub(" ", text).strip()


def script_counts(text: str) -> dict[str, int]:
    """How many letters of each writing system the text holds (only scripts present)."""
    counts = {}
    for name, pattern in SCRIPTS.items():
        found = len(pattern.findall(text))
        if found:
            counts[name] = found
    return counts


def letter_count(text: str) -> int:
    return len(LETTER.findall(text))
