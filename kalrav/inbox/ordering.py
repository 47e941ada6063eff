"""The order of the inbox list, chosen so that a page of a million conversations is read along an
index instead of sorting the whole filtered set.

Every order ends with the conversation's id, so equal keys (many deadlines fall on the same
opening minute of a morning) still give each row one place and pages neither repeat nor skip rows.

"Time left to answer" puts conversations without a deadline last. SQLite keeps NULLs first in an
index, so `NULLS LAST` there means sorting every matching row; a page of that order is instead
read in two walks of the same index: the rows with a deadline in deadline order, then the rows
without one. The queryset keeps the exact `NULLS LAST` order for everything else (counting,
bulk actions, iterating), only slicing takes the two walks.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.db.models import F, QuerySet

# The default order: urgent first, then the newest; the id keeps equal rows in one place.
NEWEST_FIRST = ("-priority", "-last_message_at", "-id")
DUE_FIRST = ("first_response_due", *NEWEST_FIRST)
DUE_NULLS_LAST = (F("first_response_due").asc(nulls_last=True), *NEWEST_FIRST)


def order(conversations: QuerySet, sort: str | None) -> QuerySet:
    """The conversations in the order the list shows them: by time left to answer (`"due"`),
    otherwise priority, then newest."""
    if sort == "due":
        ordered = conversations.order_by(*DUE_NULLS_LAST)
        ordered.__class__ = _walking(type(conversations))
        return ordered
    return conversations.order_by(*NEWEST_FIRST)


class DueWalk:
    """Mixed into the conversations' queryset class: a slice of the time-left order is read as
    the rows with a deadline, then the rows without one, each walked in index order."""

    def __getitem__(self, key: Any) -> Any:
        if (
            isinstance(key, slice)
            and key.step is None
            and key.stop is not None
            and self._result_cache is None  # type: ignore[attr-defined]
            and not self.query.is_sliced  # type: ignore[attr-defined]
            and tuple(self.query.order_by) == DUE_NULLS_LAST  # type: ignore[attr-defined]
        ):
            return page_in_two_walks(self, key.start or 0, key.stop)  # type: ignore[arg-type]
        return super().__getitem__(key)  # type: ignore[misc]


@cache
def _walking(base: type[QuerySet]) -> type[QuerySet]:
    # A subclass of the queryset's own class, so that custom queryset methods stay available.
    return type(f"DueWalk{base.__name__}", (DueWalk, base), {})


def page_in_two_walks(conversations: QuerySet, start: int, stop: int) -> list:
    """Rows `start` to `stop` of `conversations` in deadline order, those without one last."""
    if stop <= start:
        return []
    with_deadline = conversations.filter(first_response_due__isnull=False).order_by(*DUE_FIRST)
    rows = list(with_deadline[start:stop])
    if len(rows) == stop - start:
        return rows
    # The deadlines ran out inside this page (rows found) or before it (none found: count them
    # to know how far into the rest the page begins; only pages past the last deadline pay this).
    before = start + len(rows) if rows or not start else with_deadline.count()
    without = conversations.filter(first_response_due__isnull=True).order_by(*NEWEST_FIRST)
    skip = max(0, start - before)
    rows += list(without[skip : skip + (stop - start) - len(rows)])
    return rows
