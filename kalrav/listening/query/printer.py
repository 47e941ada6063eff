"""Printing a tree back as a query, in one canonical form: `parse(to_query(tree)) == tree`.

Canonical means capital operators, explicit AND, and parentheses only where precedence needs
them, plus around an AND inside an OR, which people misread without them.
"""

from __future__ import annotations

from .tree import And, Field, Hashtag, Mention, Node, Not, Or, Phrase, Term, Wildcard


def to_query(node: Node) -> str:
    if isinstance(node, Term):
        return node.word
    if isinstance(node, Wildcard):
        return node.pattern
    if isinstance(node, Phrase):
        return '"' + " ".join(node.words) + '"'
    if isinstance(node, Field):
        return f"{node.name}:{node.value}"
    if isinstance(node, Hashtag):
        return f"#{node.name}"
    if isinstance(node, Mention):
        return f"@{node.handle}"
    if isinstance(node, Not):
        return "NOT " + _grouped(node.operand, isinstance(node.operand, And | Or))
    if isinstance(node, And):
        return " AND ".join(_grouped(operand, isinstance(operand, Or)) for operand in node.operands)
    if isinstance(node, Or):
        return " OR ".join(_grouped(operand, isinstance(operand, And)) for operand in node.operands)
    operator = f"NEAR/{node.distance}{'f' if node.ordered else ''}"
    left = _grouped(node.left, isinstance(node.left, Or))
    right = _grouped(node.right, isinstance(node.right, Or))
    return f"{left} {operator} {right}"


def _grouped(node: Node, parenthesised: bool) -> str:
    text = to_query(node)
    return f"({text})" if parenthesised else text
