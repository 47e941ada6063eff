"""Rich-text facets for Bluesky posts: links, mentions and hashtags located by UTF-8 byte offsets,
in the app.bsky.richtext.facet shape. Detection follows the official client (@atproto/api
RichText.detectFacets) so a post made here links the same words the Bluesky app would."""

from __future__ import annotations

from collections.abc import Callable

import regex

from kalrav.connectors.rules import utf8_offset, utf16_length
from kalrav.connectors.text.tweet_text import valid_cctld, valid_gtld

# JavaScript's \b (the official client's regexes are JavaScript): a change between ASCII word
# characters and anything else.
_JS_WORD_BOUNDARY = r"(?:(?<=[A-Za-z0-9_])(?![A-Za-z0-9_])|(?<![A-Za-z0-9_])(?=[A-Za-z0-9_]))"
_MENTION = regex.compile(rf"(?:^|(?<=[\s(]))@([a-zA-Z0-9.-]+){_JS_WORD_BOUNDARY}")
_LINK = regex.compile(
    r"(?:^|(?<=[\s(]))((https?://\S+)|(?P<domain>[a-z][a-z0-9]*(?:\.[a-z0-9]+)+)\S*)",
    regex.IGNORECASE | regex.MULTILINE,
)
_INVISIBLE = "\u00ad\u2060\u200a\u200b\u200c\u200d\u20e2"
_TAG = regex.compile(
    rf"(?:^|(?<=\s))[#\uff03]((?!\ufe0f)[^\s{_INVISIBLE}]*[^0-9\s\p{{P}}{_INVISIBLE}]+[^\s{_INVISIBLE}]*)?"
)
_TRAILING_PUNCTUATION = regex.compile(r"\p{P}+$")
TAG_MAX_LENGTH = 64  # UTF-16 code units, as the official client measures it

Resolver = Callable[[str], "str | None"]


def is_valid_domain(name: str) -> bool:
    """Ends in a top-level domain that exists (the official client checks the IANA list too)."""
    head, dot, tld = name.rpartition(".")
    if not dot or not head:
        return False
    tld = tld.lower()
    return any(
        (m := pattern.match(tld)) and m.end() == len(tld) for pattern in (valid_gtld, valid_cctld)
    )


def _span(text: str, start: int, end: int) -> dict:
    return {"byteStart": utf8_offset(text, start), "byteEnd": utf8_offset(text, end)}


def mention_facets(text: str, resolve_handle: Resolver) -> list[dict]:
    """Mentions whose handle resolves to a DID; an unknown handle stays plain text."""
    facets = []
    for match in _MENTION.finditer(text):
        handle = match.group(1)
        if not is_valid_domain(handle) and not handle.endswith(".test"):
            continue
        did = resolve_handle(handle)
        if did:
            facets.append(
                _facet(
                    text,
                    match.start(),
                    match.end(),
                    {"$type": "app.bsky.richtext.facet#mention", "did": did},
                )
            )
    return facets


def link_facets(text: str) -> list[dict]:
    facets = []
    for match in _LINK.finditer(text):
        uri = match.group(1)
        start, end = match.span(1)
        if not match.group(2):
            if not is_valid_domain(match.group("domain")):
                continue
            uri = f"https://{uri}"
        if uri[-1] in ".,;:!?":
            uri, end = uri[:-1], end - 1
        if uri.endswith(")") and "(" not in uri:
            uri, end = uri[:-1], end - 1
        facets.append(
            _facet(text, start, end, {"$type": "app.bsky.richtext.facet#link", "uri": uri})
        )
    return facets


def tag_facets(text: str) -> list[dict]:
    facets = []
    for match in _TAG.finditer(text):
        tag = _TRAILING_PUNCTUATION.sub("", (match.group(1) or "").strip())
        if not tag or utf16_length(tag) > TAG_MAX_LENGTH:
            continue
        start = match.start()  # the "#"
        facets.append(
            _facet(
                text,
                start,
                start + 1 + len(tag),
                {"$type": "app.bsky.richtext.facet#tag", "tag": tag},
            )
        )
    return facets


def detect_facets(text: str, resolve_handle: Resolver | None = None) -> list[dict]:
    """All facets in text order. Without a resolver no mention facet is made: a mention must
    carry the account's DID, which only the network can tell."""
    facets = link_facets(text) + tag_facets(text)
    if resolve_handle is not None:
        facets += mention_facets(text, resolve_handle)
    return sorted(facets, key=lambda facet: facet["index"]["byteStart"])


def _facet(text: str, start: int, end: int, feature: dict) -> dict:
    return {"index": _span(text, start, end), "features": [feature]}
