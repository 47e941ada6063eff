"""Matching a post against many monitors at once: a prefilter, then exact evaluation.

Every query is reduced to anchors: keys at least one of which a post must show for the query
to be able to match (a word, a wildcard's literal start, a hashtag, a mention, a language, an
author, a site). All monitors' anchors go into one table, key -> monitors, so a post costs one
lookup per distinct word it holds, however many monitors there are; only the monitors it hits
are evaluated exactly. A query with no anchor (`a OR NOT b`) is evaluated for every post.

Why a table and not an Aho-Corasick automaton (`pyahocorasick`): queries match whole words,
and a post is already cut into words by the same Unicode-aware tokenizer the queries use, so a
hash lookup per word finds the same candidates without the substring matches an automaton would
then have to check against word boundaries, which Python's notion of a boundary gets wrong in
Indic scripts. Wildcards are anchored on their literal start, looked up by word prefix for
each prefix length in use.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping

from .evaluate import Post, Predicate, Seen, compile_query
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


class Matcher:
    """Monitors' compiled queries; `match` gives the ids of those a post matches."""

    def __init__(self, queries: Mapping[Hashable, Node]) -> None:
        self.ids = list(queries)
        self.predicates: list[Predicate] = [compile_query(tree) for tree in queries.values()]
        self.by_word: dict[str, list[int]] = {}
        self.by_prefix: dict[int, dict[str, list[int]]] = {}
        self.by_key: dict[Key, list[int]] = {}
        self.always: list[int] = []
        for index, tree in enumerate(queries.values()):
            keys = anchors(tree)
            if keys is None:
                self.always.append(index)
                continue
            for kind, value in keys:
                if kind == "word":
                    self.by_word.setdefault(value, []).append(index)
                elif kind == "prefix":
                    table = self.by_prefix.setdefault(len(value), {})
                    table.setdefault(value, []).append(index)
                else:
                    self.by_key.setdefault((kind, value), []).append(index)
        self.word_keys = frozenset(self.by_word)
        self.key_kinds = frozenset(kind for kind, _ in self.by_key)

    def candidates(self, seen: Seen) -> set[int]:
        """Monitors the post might match: those it shows an anchor of."""
        found = set(self.always)
        by_word = self.by_word
        # Set intersection runs in C over the smaller side, the post's words.
        for word in seen.word_set & self.word_keys:
            found.update(by_word[word])
        for length, table in self.by_prefix.items():
            for prefix in {word[:length] for word in seen.word_set} & table.keys():
                found.update(table[prefix])
        if self.by_key:
            by_key = self.by_key
            for key in self._keys(seen):
                hit = by_key.get(key)
                if hit:
                    found.update(hit)
        return found

    def _keys(self, seen: Seen) -> list[Key]:
        kinds = self.key_kinds
        keys: list[Key] = []
        if "tag" in kinds:
            keys += [("tag", tag) for tag in seen.tags]
        if "at" in kinds:
            keys += [("at", handle) for handle in seen.mentions]
        if "lang" in kinds:
            keys += [("lang", lang) for lang in seen.languages]
        if "site" in kinds:
            keys += [("site", host) for host in seen.hosts]
        if "author" in kinds and seen.author:
            keys.append(("author", seen.author))
        return keys

    def match_seen(self, seen: Seen) -> list[Hashable]:
        predicates, ids = self.predicates, self.ids
        return [ids[index] for index in sorted(self.candidates(seen)) if predicates[index](seen)]

    def match(self, post: Post) -> list[Hashable]:
        """The ids of the monitors whose query the post matches, in the order given."""
        return self.match_seen(Seen(post))
