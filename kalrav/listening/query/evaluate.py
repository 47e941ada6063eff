"""Exact evaluation of one query tree over one post, compiled once into nested closures.

A post is read once into `Seen` (its words in order, their set, hashtags, mentions, language,
author and address); each compiled query then asks only what it needs. Word positions, which
only phrases and NEAR use, are computed on first use.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import regex

from .parser import address
from .tree import And, Field, Hashtag, Mention, Near, Node, Not, Or, Phrase, Term, Wildcard
from .words import fold, hashtags, mentions, words


@dataclass(frozen=True)
class Post:
    """What matching reads of a post. `hashtags` and `mentions` add to those written in the
    text (a network may carry them as facets); `url` is the post's own address."""

    text: str
    lang: str = ""
    author: str = ""
    url: str = ""
    hashtags: Sequence[str] = ()
    mentions: Sequence[str] = ()


class Seen:
    """A post as the queries see it, prepared once for every monitor."""

    __slots__ = (
        "_positions",
        "address",
        "author",
        "hosts",
        "languages",
        "mentions",
        "tags",
        "word_set",
        "words",
    )

    def __init__(self, post: Post) -> None:
        self.words = words(post.text)
        self.word_set = frozenset(self.words)
        self._positions: dict[str, list[int]] | None = None
        self.tags = set(hashtags(post.text))
        if post.hashtags:
            self.tags.update(fold(tag.lstrip("#")) for tag in post.hashtags)
        self.mentions = set(mentions(post.text))
        if post.mentions:
            self.mentions.update(handle.lstrip("@").casefold() for handle in post.mentions)
        lang = post.lang.casefold()
        # lang:pt matches a post in pt-br; lang:pt-br only that.
        self.languages = {lang, lang.split("-", 1)[0]} if lang else set()
        self.author = post.author.lstrip("@").casefold()
        self.address = address(post.url) if post.url else ""
        host = self.address.split("/", 1)[0].split(":", 1)[0]
        labels = host.split(".")
        # site:example.com matches news.example.com too (never "com" alone).
        self.hosts = (
            {".".join(labels[index:]) for index in range(max(1, len(labels) - 1))}
            if host
            else set()
        )

    @property
    def positions(self) -> dict[str, list[int]]:
        if self._positions is None:
            self._positions = {}
            for index, word in enumerate(self.words):
                self._positions.setdefault(word, []).append(index)
        return self._positions


Predicate = Callable[[Seen], bool]
Spans = Callable[[Seen], list[tuple[int, int]]]


def wildcard_regex(pattern: str) -> regex.Pattern[str]:
    """`*` is any run of word characters (none too), `?` exactly one."""
    parts = []
    for char in pattern:
        if char == "*":
            parts.append(r"[\w\p{M}\u200c\u200d]*")
        elif char == "?":
            parts.append(r"[\w\p{M}\u200c\u200d]")
        else:
            parts.append(regex.escape(char))
    return regex.compile("".join(parts))


def compile_query(node: Node) -> Predicate:
    if isinstance(node, Term):
        word = node.word
        return lambda seen: word in seen.word_set
    if isinstance(node, Wildcard):
        matcher = wildcard_regex(node.pattern).fullmatch
        return lambda seen: any(matcher(word) for word in seen.word_set)
    if isinstance(node, Phrase | Near):
        spans = compile_spans(node)
        return lambda seen: bool(spans(seen))
    if isinstance(node, Field):
        return _field(node)
    if isinstance(node, Hashtag):
        tag = node.name
        return lambda seen: tag in seen.tags
    if isinstance(node, Mention):
        handle = node.handle
        return lambda seen: handle in seen.mentions
    if isinstance(node, Not):
        operand = compile_query(node.operand)
        return lambda seen: not operand(seen)
    operands = tuple(compile_query(operand) for operand in node.operands)
    if isinstance(node, And):
        return lambda seen: all(operand(seen) for operand in operands)
    return lambda seen: any(operand(seen) for operand in operands)


def _field(node: Field) -> Predicate:
    value = node.value
    if node.name == "lang":
        return lambda seen: value in seen.languages
    if node.name == "author":
        return lambda seen: seen.author == value
    if node.name == "site":
        return lambda seen: value in seen.hosts
    host = value.split("/", 1)[0]
    # url: is a prefix of the address on that very host, so url:example.com/a is not
    # matched by example.com.evil.net/a.
    return lambda seen: seen.address.startswith(value) and seen.address.split("/", 1)[0] == host


def compile_spans(node: Node) -> Spans:
    """Where a positional node occurs, as (first word, after last word) index pairs."""
    if isinstance(node, Term):
        word = node.word
        return lambda seen: [(index, index + 1) for index in seen.positions.get(word, ())]
    if isinstance(node, Wildcard):
        matcher = wildcard_regex(node.pattern).fullmatch
        return lambda seen: [
            (index, index + 1) for index, word in enumerate(seen.words) if matcher(word)
        ]
    if isinstance(node, Phrase):
        return _phrase_spans(node.words)
    if isinstance(node, Or):
        operands = tuple(compile_spans(operand) for operand in node.operands)
        return lambda seen: [span for operand in operands for span in operand(seen)]
    if isinstance(node, Near):
        return _near_spans(node)
    raise TypeError(f"{type(node).__name__} has no place in the text")


def _phrase_spans(phrase: tuple[str, ...]) -> Spans:
    first, rest, length = phrase[0], list(phrase[1:]), len(phrase)

    def spans(seen: Seen) -> list[tuple[int, int]]:
        if phrase[-1] not in seen.word_set:
            return []
        found = seen.words
        return [
            (index, index + length)
            for index in seen.positions.get(first, ())
            if found[index + 1 : index + length] == rest
        ]

    return spans


def _near_spans(node: Near) -> Spans:
    left, right = compile_spans(node.left), compile_spans(node.right)
    distance, ordered = node.distance, node.ordered

    def spans(seen: Seen) -> list[tuple[int, int]]:
        rights = right(seen)
        if not rights:
            return []
        found = []
        # The distance counts the words between the two sides; they may not overlap.
        for left_start, left_end in left(seen):
            for right_start, right_end in rights:
                if 0 <= right_start - left_end <= distance or (
                    not ordered and 0 <= left_start - right_end <= distance
                ):
                    found.append((min(left_start, right_start), max(left_end, right_end)))
        return found

    return spans
