"""The parsed form of a query. Trees are canonical: words are folded (see `words.fold`), AND and
OR are flat with two or more operands, so two queries that mean the same compare equal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FieldName = Literal["lang", "author", "site", "url"]
FIELDS: tuple[FieldName, ...] = ("lang", "author", "site", "url")


@dataclass(frozen=True)
class Term:
    """One word."""

    word: str


@dataclass(frozen=True)
class Wildcard:
    """One word with `*` (any run of letters, possibly none) and `?` (exactly one letter)."""

    pattern: str


@dataclass(frozen=True)
class Phrase:
    """Words that follow each other in this order."""

    words: tuple[str, ...]


@dataclass(frozen=True)
class Field:
    """A property of the post rather than of its text: language, author, site or URL."""

    name: FieldName
    value: str


@dataclass(frozen=True)
class Hashtag:
    name: str


@dataclass(frozen=True)
class Mention:
    handle: str


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class And:
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Near:
    """Two positional operands at most `distance` words apart; `ordered`: left comes first."""

    left: Node
    right: Node
    distance: int
    ordered: bool = False


Node = Term | Wildcard | Phrase | Field | Hashtag | Mention | Not | And | Or | Near
# What has a place in the text, so NEAR can measure distances between them.
Positional = Term | Wildcard | Phrase | Or


def is_positional(node: Node) -> bool:
    if isinstance(node, Or):
        return all(is_positional(operand) for operand in node.operands)
    return isinstance(node, Term | Wildcard | Phrase)


def has_positive(node: Node) -> bool:
    """Whether the query asks for something, not only for the absence of things."""
    if isinstance(node, Not):
        return False
    if isinstance(node, And):
        return any(has_positive(operand) for operand in node.operands)
    if isinstance(node, Or):
        return all(has_positive(operand) for operand in node.operands)
    return True
