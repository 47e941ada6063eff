"""parse(to_query(tree)) == tree for any canonical tree, in the scripts the team writes."""

from hypothesis import given, settings
from hypothesis import strategies as st

from kalrav.listening.query import parse, to_query
from kalrav.listening.query import words as text_words
from kalrav.listening.query.tree import (
    And,
    Field,
    Hashtag,
    Mention,
    Near,
    Not,
    Or,
    Phrase,
    Term,
    Wildcard,
    has_positive,
)

LETTERS = (
    "abcxyzé0"  # Latin, an accent that folds away, a digit
    "চাবাগনকর্মস"  # Bengali with a vowel sign and the virama
    "हिन्दीक्ष"  # Devanagari
    "ગુજરાતી"  # Gujarati
    "καφέςΣ"  # Greek with tonos and both sigmas
    "\u200d"  # the zero-width joiner, inside words only
)


def _folded_word(raw: str) -> str | None:
    found = text_words.words(raw)
    return found[0] if len(found) == 1 else None


word = st.text(LETTERS, min_size=1, max_size=8).map(_folded_word).filter(bool)
term = word.map(Term)
phrase = st.lists(word, min_size=2, max_size=4).map(lambda ws: Phrase(tuple(ws)))
wildcard = (
    st.tuples(word, st.sampled_from(["*", "?", "*x", "?a", "*?"]))
    .map(lambda pair: Wildcard(pair[0] + pair[1]))
    .filter(lambda node: len(node.pattern.replace("*", "").replace("?", "")) >= 2)
)
host = st.from_regex(r"[a-z0-9]{1,6}(\.[a-z]{2,5}){1,2}", fullmatch=True)
field = st.one_of(
    st.from_regex(r"[a-z]{2,3}(-[a-z0-9]{2,4})?", fullmatch=True).map(lambda v: Field("lang", v)),
    st.from_regex(r"[a-z0-9_](\.?[a-z0-9_]){0,8}", fullmatch=True).map(
        lambda v: Field("author", v)
    ),
    host.map(lambda v: Field("site", v)),
    st.tuples(host, st.from_regex(r"(/[a-z0-9_.\-]{1,6}){0,3}", fullmatch=True)).map(
        lambda pair: Field("url", pair[0] + pair[1])
    ),
)
tag = word.map(Hashtag)
mention = st.from_regex(r"[a-z0-9_]([a-z0-9_.]{0,8}[a-z0-9_])?", fullmatch=True).map(Mention)
positional_atom = st.one_of(term, phrase, wildcard)
positional = st.one_of(
    positional_atom, st.lists(positional_atom, min_size=2, max_size=3).map(lambda ns: Or(tuple(ns)))
)
near = st.builds(Near, positional, positional, st.integers(0, 100), st.booleans())
leaf = st.one_of(term, phrase, wildcard, field, tag, mention, near)


def _flat(kind, operands):
    flat = []
    for operand in operands:
        flat.extend(operand.operands if isinstance(operand, kind) else (operand,))
    return kind(tuple(flat))


tree = st.recursive(
    leaf,
    lambda children: st.one_of(
        children.map(Not),
        st.lists(children, min_size=2, max_size=3).map(lambda ns: _flat(And, ns)),
        st.lists(children, min_size=2, max_size=3).map(lambda ns: _flat(Or, ns)),
    ),
    max_leaves=12,
).filter(has_positive)


@settings(max_examples=400, deadline=None)
@given(tree)
def test_parse_of_the_printed_tree_is_the_tree(node):
    assert parse(to_query(node)) == node


@settings(max_examples=200, deadline=None)
@given(tree)
def test_printing_is_stable(node):
    printed = to_query(node)
    assert to_query(parse(printed)) == printed


def test_canonical_form_example():
    node = parse('tea cup OR NOT (coffee OR "masala chai") lang:hi')
    assert to_query(node) == '(tea AND cup) OR (NOT (coffee OR "masala chai") AND lang:hi)'
