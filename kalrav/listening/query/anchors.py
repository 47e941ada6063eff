"""Anchors: the keys at least one of which a post must show for a query to be able to match it
(a word, a wildcard's literal start, a hashtag, a mention, a language, an author, a site).
Both matchers filter by them: the one-post matcher (matcher.py) and the batch one (batch.py).
"""

from __future__ import annotations

from .tree import And, Field, Hashtag, Mention, Near, Node, Not, Phrase, Term, Wildcard

Key = tuple[str, str]

# How many posts a key lets through, roughly: a language is shared by a large part of the
# stream, a short prefix by many words; a word, a tag or an author by few.
_LANG_COST = 10_000
_PREFIX_COST = 100
# Wildcards are anchored on at most this many leading letters, so a post's words are cut to
# few prefix lengths (one per length in use, at most this many) whatever the wildcards are.
PREFIX = 3


def anchors(node: Node) -> frozenset[Key] | None:
    """Keys one of which every post matching `node` shows, or None when there are none."""
    if isinstance(node, Term):
        return frozenset({("word", node.word)})
    if isinstance(node, Wildcard):
        prefix = _literal_start(node.pattern)
        return frozenset({("prefix", prefix)}) if prefix else None
    if isinstance(node, Phrase):
        return frozenset({("word", max(node.words, key=len))})
    if isinstance(node, Field):
        if node.name == "url":
            # The post's hosts are kept without their port; so is this one.
            return frozenset({("site", node.value.split("/", 1)[0].split(":", 1)[0])})
        return frozenset({(node.name, node.value)})
    if isinstance(node, Hashtag):
        return frozenset({("tag", node.name)})
    if isinstance(node, Mention):
        return frozenset({("at", node.handle)})
    if isinstance(node, Not):
        return None
    if isinstance(node, Near):
        return _cheapest([anchors(node.left), anchors(node.right)])
    if isinstance(node, And):
        return _cheapest([anchors(operand) for operand in node.operands])
    union: set[Key] = set()
    for operand in node.operands:
        found = anchors(operand)
        if found is None:
            return None
        union |= found
    return frozenset(union)


def _literal_start(pattern: str) -> str:
    """At most the first `PREFIX` letters before the first wildcard character."""
    for index, char in enumerate(pattern):
        if char in "*?":
            return pattern[: min(index, PREFIX)]
    return pattern[:PREFIX]


def _cost(keys: frozenset[Key]) -> int:
    return sum(
        _LANG_COST if kind == "lang" else _PREFIX_COST // len(value) if kind == "prefix" else 1
        for kind, value in keys
    )


def _cheapest(options: list[frozenset[Key] | None]) -> frozenset[Key] | None:
    present = [keys for keys in options if keys is not None]
    return min(present, key=_cost) if present else None
