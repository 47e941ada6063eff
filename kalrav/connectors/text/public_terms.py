"""The cheap test a public stream applies before handing a post on (base.PublicStreamer): does
its lowercase text contain one of the listening terms? The monitors' queries decide later, in
listening's intake; this only keeps the whole network's posts out of the database."""

from __future__ import annotations

from collections.abc import Sequence


def needles(terms: Sequence[str]) -> tuple[str, ...]:
    """What a post's lowercase text must contain for a term to match: a phrase's words as
    written (quotes dropped), a #tag or @handle with its sign."""
    found = []
    for term in terms:
        needle = term.strip().strip('"').lower()
        if needle:
            found.append(needle)
    return tuple(found)


class Prefilter:
    """Reads the caller's terms on every post (the caller may change them in place) and
    rebuilds its needles only when they changed. No terms at all: every post passes."""

    def __init__(self, terms: Sequence[str]) -> None:
        self._terms = terms
        self._seen: tuple[str, ...] | None = None
        self._needles: tuple[str, ...] = ()

    def passes(self, text: str) -> bool:
        current = tuple(self._terms)
        if current != self._seen:
            self._seen, self._needles = current, needles(current)
        if not current:
            return True
        lowered = text.lower()
        return any(needle in lowered for needle in self._needles)
