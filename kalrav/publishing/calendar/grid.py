"""The calendar's arithmetic: which days a view shows, the UTC range to query for them, and which
local day each variant falls on. All of it in the workspace's time zone, so a post at 00:30 in
Athens is on the Athens day even when it is still yesterday in UTC, across daylight-saving changes
too (a local day can be 23 or 25 hours long)."""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

VIEWS = ("month", "week", "quarter", "list")
LIST_DAYS = 42


@dataclass(frozen=True)
class Span:
    first: date  # first day shown
    last: date  # last day shown, inclusive
    previous: date  # anchor of the previous page
    following: date  # anchor of the next page


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def span(view: str, anchor: date) -> Span:
    if view == "week":
        first = anchor - timedelta(days=anchor.weekday())
        return Span(first, first + timedelta(days=6), first - timedelta(7), first + timedelta(7))
    if view == "quarter":
        first = date(anchor.year, (anchor.month - 1) // 3 * 3 + 1, 1)
        return Span(
            first, add_months(first, 3) - timedelta(1), add_months(first, -3), add_months(first, 3)
        )
    if view == "list":
        last = anchor + timedelta(days=LIST_DAYS - 1)
        return Span(anchor, last, anchor - timedelta(LIST_DAYS), last + timedelta(1))
    first = month_start(anchor)
    return Span(
        first, add_months(first, 1) - timedelta(1), add_months(first, -1), add_months(first, 1)
    )


def utc_range(first: date, last: date, zone: zoneinfo.ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) in UTC covering the local days first..last."""
    start = datetime.combine(first, time.min, tzinfo=zone).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone).astimezone(UTC)
    return start, end


def local_day(moment: datetime, zone: zoneinfo.ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def group_by_day(items: Iterable, zone: zoneinfo.ZoneInfo, attr: str = "scheduled_at") -> dict:
    days: dict[date, list] = defaultdict(list)
    for item in items:
        moment = getattr(item, attr)
        if moment is not None:
            days[local_day(moment, zone)].append(item)
    return dict(days)


def weeks(first: date, last: date) -> list[list[date]]:
    """Whole weeks (Monday first) covering first..last, for a month grid."""
    start = first - timedelta(days=first.weekday())
    end = last + timedelta(days=6 - last.weekday())
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    return [days[n : n + 7] for n in range(0, len(days), 7)]


def density(count: int) -> int:
    """0-4, for the quarter view's shading (with the number written too)."""
    if count == 0:
        return 0
    if count <= 2:
        return 1
    if count <= 4:
        return 2
    if count <= 7:
        return 3
    return 4
