"""Mentions, lists, hashtags and URLs in a post, found the way X finds them.

URLs come from twitter-text-parser. That library counts and finds URLs but has no mention or hashtag
extractor, so those follow the twitter-text specification here and are held to the official
conformance suite (tests/test_conformance.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import regex

from kalrav.connectors.text.tweet_text import extract_urls_with_indices

_AT_SIGNS = "@\uff20"
# Latin letters with accents: a mention followed by one is part of a longer word, not a mention.
_LATIN_ACCENTS = (
    "\xc0-\xd6\xd8-\xf6\xf8-\xff\u0100-\u024f\u0253\u0254\u0256\u0257\u0259\u025b\u0263\u0268"
    "\u026f\u0272\u0289\u028b\u02bb\u0300-\u036f\u1e00-\u1eff"
)
_MENTION = regex.compile(
    rf"(?:^|[^a-zA-Z0-9_!#$%&*{_AT_SIGNS}]|(?:^|[^a-zA-Z0-9_+~.-])(?:rt|RT|rT|Rt):?)"
    rf"([{_AT_SIGNS}])([a-zA-Z0-9_]{{1,20}})(/[a-zA-Z][a-zA-Z0-9_\-]{{0,24}})?"
)
_END_MENTION = regex.compile(rf"[{_AT_SIGNS}{_LATIN_ACCENTS}]|://")

# Characters that may join words inside a hashtag: underscore, zero-width (non-)joiners for Indic
# and Persian scripts, and marks that East Asian, Hebrew and Tibetan writing use inside words.
_HASHTAG_JOINERS = "_\u200c\u200d\ua67e\u05be\u05f3\u05f4\uff5e\u301c\u309b\u309c\u30a0\u30fb\u3003\u0f0b\u0f0c\u00b7"
_ALPHA = r"[\p{L}\p{M}]"
_ALNUM = rf"[\p{{L}}\p{{M}}\p{{Nd}}{_HASHTAG_JOINERS}]"
_HASHTAG = regex.compile(
    rf"(?:^|\ufe0e|\ufe0f|(?!{_ALNUM}|&).)([#\uff03])(?!\ufe0f|\u20e3)({_ALNUM}*{_ALPHA}{_ALNUM}*)",
    regex.DOTALL,
)
_END_HASHTAG = regex.compile(r"[#\uff03]|://")


@dataclass(frozen=True)
class Entity:
    kind: str  # "mention", "hashtag" or "url"
    text: str  # without the @ or #
    start: int  # index of the @, # or first URL character
    end: int
    list_slug: str = ""


def mentions_or_lists(text: str) -> list[Entity]:
    if not any(sign in text for sign in _AT_SIGNS):
        return []
    found = []
    for match in _MENTION.finditer(text):
        if _END_MENTION.match(text, match.end()):
            continue
        found.append(
            Entity("mention", match.group(2), match.start(1), match.end(), match.group(3) or "")
        )
    return found


def mentions(text: str) -> list[Entity]:
    return [entity for entity in mentions_or_lists(text) if not entity.list_slug]


def urls(text: str) -> list[Entity]:
    return [
        Entity("url", found["url"], found["indices"][0], found["indices"][1])
        for found in extract_urls_with_indices(text)
    ]


def hashtags(text: str) -> list[Entity]:
    if "#" not in text and "\uff03" not in text:
        return []
    candidates = [
        Entity("hashtag", match.group(2), match.start(1), match.end())
        for match in _HASHTAG.finditer(text)
        if not _END_HASHTAG.match(text, match.end())
    ]
    if not candidates:
        return candidates
    # A "#" inside a link (a fragment) is part of the link, not a hashtag.
    links = urls(text)
    return [tag for tag in candidates if not any(_overlap(tag, link) for link in links)]


def _overlap(a: Entity, b: Entity) -> bool:
    return a.start < b.end and b.start < a.end
