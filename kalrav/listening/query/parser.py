"""Parsing a monitor query into a tree (see `tree.py`), with errors that point at the place.

Precedence, loosest first: OR, AND (written or implied between neighbours), NOT, NEAR. So
`a b OR c` is `(a AND b) OR c`, `NOT a b` is `(NOT a) AND b` and `NOT a NEAR/2 b` negates the
NEAR. Operators are recognised in capitals only, as in Brandwatch: "and" is a word.
"""

from __future__ import annotations

from dataclasses import dataclass

import regex
from django.utils.translation import gettext as _

from .tree import (
    FIELDS,
    And,
    Field,
    FieldName,
    Hashtag,
    Mention,
    Near,
    Node,
    Not,
    Or,
    Phrase,
    Term,
    Wildcard,
    has_positive,
    is_positional,
)
from .words import fold, is_word, words

# Far enough for "within a sentence"; further is not what NEAR is for and costs matching time.
MAX_DISTANCE = 100
_NEAR = regex.compile(r"NEAR/(\d+)(f?)")
_FIELD = regex.compile(r"([A-Za-z]+):(.*)", regex.DOTALL)
_LANGUAGE = regex.compile(r"[a-z]{2,3}(?:-[a-z0-9]{2,8})*")
_DOMAIN = regex.compile(r"[^\s/:]+\.[^\s/:]+")
_HANDLE = regex.compile(r"\w(?:[\w.\-]*\w)?")
_SCHEME = regex.compile(r"^[a-z][a-z0-9+.\-]*://")
_GRAPHEME = regex.compile(r"\X")
_BARE_STOP = frozenset(' \t\r\n\f\v()"')
_OPERATORS = frozenset({"AND", "OR", "NOT", "NEAR"})
_OPERAND_STARTS = frozenset({"word", "phrase", "(", "NOT"})


class QuerySyntaxError(ValueError):
    """A query that cannot be parsed; `offset` is where in the query the problem is."""

    def __init__(self, message: str, query: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.query = query
        self.offset = offset

    def pointer(self) -> str:
        """The query and, under it, a caret at the problem."""
        # One column per user-perceived character: a Bengali or Hindi letter with its vowel
        # sign or virama is one cluster on screen, not two or three code points.
        column = len(_GRAPHEME.findall(self.query[: self.offset]))
        return f"{self.query}\n{' ' * column}^"

    def __str__(self) -> str:
        return f"{self.message}\n{self.pointer()}"


@dataclass(frozen=True)
class _Token:
    kind: str  # "word", "phrase", "(", ")", "AND", "OR", "NOT", "NEAR", "end"
    text: str
    offset: int
    distance: int = 0
    ordered: bool = False


def _tokens(query: str) -> list[_Token]:
    found: list[_Token] = []
    at = 0
    while at < len(query):
        char = query[at]
        if char.isspace():
            at += 1
        elif char in "()":
            found.append(_Token(char, char, at))
            at += 1
        elif char == '"':
            closing = query.find('"', at + 1)
            if closing < 0:
                raise QuerySyntaxError(_("This quotation mark is never closed."), query, at)
            found.append(_Token("phrase", query[at + 1 : closing], at))
            at = closing + 1
        else:
            start = at
            while at < len(query) and query[at] not in _BARE_STOP:
                at += 1
            found.append(_bare(query, query[start:at], start))
    found.append(_Token("end", "", len(query)))
    return found


def _bare(query: str, text: str, offset: int) -> _Token:
    if text in ("AND", "OR", "NOT"):
        return _Token(text, text, offset)
    if text == "NEAR" or text.startswith("NEAR/"):
        near = _NEAR.fullmatch(text)
        if near is None:
            raise QuerySyntaxError(
                _("NEAR needs a distance in words, like NEAR/3 (or NEAR/3f for this order)."),
                query,
                offset,
            )
        distance = int(near.group(1))
        if distance > MAX_DISTANCE:
            raise QuerySyntaxError(
                _("NEAR reaches at most %(limit)d words.") % {"limit": MAX_DISTANCE}, query, offset
            )
        return _Token("NEAR", text, offset, distance, near.group(2) == "f")
    return _Token("word", text, offset)


class _Parser:
    def __init__(self, query: str) -> None:
        self.query = query
        self.tokens = _tokens(query)
        self.at = 0
        self.depth = 0

    def fail(self, message: str, offset: int) -> QuerySyntaxError:
        return QuerySyntaxError(message, self.query, offset)

    @property
    def next(self) -> _Token:
        return self.tokens[self.at]

    def take(self) -> _Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def any_of(self) -> Node:
        operands = [self.all_of()]
        while self.next.kind == "OR":
            self.take()
            operands.append(self.all_of())
        return _flat(Or, operands)

    def all_of(self) -> Node:
        operands = [self.unary()]
        while self.next.kind == "AND" or self.next.kind in _OPERAND_STARTS:
            if self.next.kind == "AND":
                self.take()
            operands.append(self.unary())
        return _flat(And, operands)

    def unary(self) -> Node:
        if self.next.kind == "NOT":
            self.take()
            return Not(self.unary())
        return self.near()

    def near(self) -> Node:
        left_offset = self.next.offset
        left = self.primary()
        if self.next.kind != "NEAR":
            return left
        operator = self.take()
        right_offset = self.next.offset
        right = self.primary()
        for node, offset in ((left, left_offset), (right, right_offset)):
            if not is_positional(node):
                raise self.fail(
                    _("NEAR joins words, phrases, wildcards or groups of them joined by OR."),
                    offset,
                )
        if self.next.kind == "NEAR":
            raise self.fail(
                _("Only two sides can be NEAR each other; join more NEARs with AND."),
                self.next.offset,
            )
        return Near(left, right, operator.distance, operator.ordered)

    def primary(self) -> Node:
        token = self.take()
        if token.kind == "(":
            self.depth += 1
            inner = self.any_of()
            if self.next.kind != ")":
                raise self.fail(_("This parenthesis is never closed."), token.offset)
            self.take()
            self.depth -= 1
            return inner
        if token.kind == "phrase":
            return self.phrase(token)
        if token.kind == "word":
            return self.word(token)
        if token.kind == "end":
            message = _("The query ends where a word, a phrase or a group was expected.")
        elif token.kind == ")" and self.tokens[self.at - 2].kind in _OPERATORS:
            message = _("%(operator)s needs a word, a phrase or a group on each side.") % {
                "operator": self.tokens[self.at - 2].kind
            }
        elif token.kind == ")":
            message = (
                _("A word, a phrase or a group is missing before this parenthesis.")
                if self.depth
                else _("This parenthesis closes nothing.")
            )
        else:
            message = _("%(operator)s needs a word, a phrase or a group on each side.") % {
                "operator": token.kind
            }
        raise self.fail(message, token.offset)

    def phrase(self, token: _Token) -> Node:
        found = words(token.text)
        if not found:
            raise self.fail(_("This phrase has no words in it."), token.offset)
        return Term(found[0]) if len(found) == 1 else Phrase(tuple(found))

    def word(self, token: _Token) -> Node:
        text = token.text
        if text[0] == "#":
            tag = fold(text[1:])
            if not is_word(tag):
                raise self.fail(_("A hashtag is # followed by one word, like #tea."), token.offset)
            return Hashtag(tag)
        if text[0] == "@":
            handle = text[1:].casefold()
            if _HANDLE.fullmatch(handle) is None:
                raise self.fail(
                    _("A mention is @ followed by a handle, like @kalrav."), token.offset
                )
            return Mention(handle)
        field = _FIELD.fullmatch(text)
        if field is not None:
            return self.field(field.group(1), field.group(2), token.offset)
        if "*" in text or "?" in text:
            return self.wildcard(text, token.offset)
        found = words(text)
        if not found:
            raise self.fail(
                _("This has no letters or digits, so it matches nothing."), token.offset
            )
        return Term(found[0]) if len(found) == 1 else Phrase(tuple(found))

    def field(self, name: str, value: str, offset: int) -> Node:
        key = name.lower()
        if key not in FIELDS:
            raise self.fail(
                _("Unknown field “%(field)s:”; the fields are lang:, author:, site: and url:.")
                % {"field": name},
                offset,
            )
        value_offset = offset + len(name) + 1
        if not value:
            raise self.fail(_("Write the value right after the colon."), value_offset)
        return Field(_field_name(key), self.field_value(key, value, value_offset))

    def field_value(self, key: str, value: str, offset: int) -> str:
        value = value.casefold()
        if key == "lang":
            if _LANGUAGE.fullmatch(value) is None:
                raise self.fail(
                    _("“%(value)s” is not a language code, like bn, hi, gu or el.")
                    % {"value": value},
                    offset,
                )
            return value
        if key == "author":
            value = value.removeprefix("@")
            if _HANDLE.fullmatch(value) is None:
                raise self.fail(_("Write the author's handle, like author:kalrav."), offset)
            return value
        address = _address(value)
        if key == "site" and _DOMAIN.fullmatch(address) is None:
            raise self.fail(
                _("site: takes a domain, like example.com; use url: for a page."), offset
            )
        if not address:
            raise self.fail(_("Write the address after url:, like url:example.com/news."), offset)
        return address

    def wildcard(self, text: str, offset: int) -> Node:
        pattern = regex.sub(r"\*+", "*", fold(text))
        parts = [part for part in regex.split(r"[*?]", pattern) if part]
        if not all(is_word(part) for part in parts):
            raise self.fail(
                _("A wildcard stands inside one word: letters with * or ?, like tea* or t?a."),
                offset,
            )
        if sum(len(part) for part in parts) < 2:
            raise self.fail(_("A wildcard needs at least two letters besides * and ?."), offset)
        return Wildcard(pattern)


def _field_name(key: str) -> FieldName:
    for name in FIELDS:
        if name == key:
            return name
    raise AssertionError(key)


def _address(value: str) -> str:
    """A URL or domain without scheme, "www." or trailing slash, the way both sides compare."""
    value = _SCHEME.sub("", value)
    return value.removeprefix("www.").rstrip("/")


def _flat(kind: type[And] | type[Or], operands: list[Node]) -> Node:
    if len(operands) == 1:
        return operands[0]
    flat: list[Node] = []
    for operand in operands:
        flat.extend(operand.operands if isinstance(operand, kind) else (operand,))
    return kind(tuple(flat))


def parse(query: str) -> Node:
    """The tree of a query, or `QuerySyntaxError` saying what is wrong and where."""
    if not query.strip():
        raise QuerySyntaxError(_("The query is empty."), query, 0)
    parser = _Parser(query)
    tree = parser.any_of()
    token = parser.next
    if token.kind == ")":
        raise parser.fail(_("This parenthesis closes nothing."), token.offset)
    if token.kind != "end":
        # Only NEAR can stop an expression early: after a group or a field.
        raise parser.fail(
            _("NEAR joins words, phrases, wildcards or groups of them joined by OR."), token.offset
        )
    if not has_positive(tree):
        raise QuerySyntaxError(
            _(
                "This query would match almost every post: the query, and each side of every "
                "OR in it, needs a word or a field that is not under NOT."
            ),
            query,
            0,
        )
    return tree


def address(value: str) -> str:
    """How a post's URL is compared with `site:` and `url:` values."""
    return _address(value.casefold())
