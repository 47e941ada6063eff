"""Response-time targets counted in business hours.

A calendar is the team's (or workspace's) opening hours per weekday in its own time zone, plus
holidays; with no hours set, every minute counts. Deadlines are computed on local wall-clock
windows and returned in UTC, so a target that spans a daylight-saving change or a weekend
lands where a person would expect it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_DAYS_AHEAD = 366


@dataclass(frozen=True)
class BusinessCalendar:
    zone: ZoneInfo
    hours: Mapping[str, Sequence[tuple[time, time]]] = field(
        default_factory=dict
    )  # empty: always open
    holidays: frozenset[date] = frozenset()

    @classmethod
    def from_settings(
        cls,
        time_zone: str,
        hours: Mapping[str, Iterable[Sequence[str]]] | None,
        holidays: Iterable[str] = (),
    ) -> BusinessCalendar:
        parsed = {
            day: [(time.fromisoformat(start), time.fromisoformat(end)) for start, end in windows]
            for day, windows in (hours or {}).items()
        }
        return cls(ZoneInfo(time_zone), parsed, frozenset(date.fromisoformat(d) for d in holidays))

    @property
    def always_open(self) -> bool:
        return not any(self.hours.values())

    def windows(self, day: date) -> list[tuple[datetime, datetime]]:
        """The day's open windows as aware datetimes (wall-clock times in the calendar's zone)."""
        if day in self.holidays:
            return []
        result = []
        for start, end in self.hours.get(DAYS[day.weekday()], ()):
            opens = datetime.combine(day, start, tzinfo=self.zone)
            closes = (
                datetime.combine(day, end, tzinfo=self.zone)
                if end != time(0)
                else datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.zone)
            )
            if closes > opens:
                result.append((opens, closes))
        return result


def deadline(start: datetime, minutes: int, calendar: BusinessCalendar) -> datetime:
    """The moment `minutes` of open time have passed since `start`."""
    if calendar.always_open:
        return start + timedelta(minutes=minutes)
    remaining = timedelta(minutes=minutes)
    local = start.astimezone(calendar.zone)
    for offset in range(MAX_DAYS_AHEAD):
        for opens, closes in calendar.windows(local.date() + timedelta(days=offset)):
            begin = max(opens, local)
            if begin >= closes:
                continue
            # Differences of aware datetimes in one zone count real elapsed time across DST.
            available = closes.astimezone(ZoneInfo("UTC")) - begin.astimezone(ZoneInfo("UTC"))
            if available >= remaining:
                return (begin.astimezone(ZoneInfo("UTC")) + remaining).astimezone(start.tzinfo)
            remaining -= available
    raise ValueError("the calendar has no open hours within a year")


def open_minutes_between(start: datetime, end: datetime, calendar: BusinessCalendar) -> float:
    """Open time between two moments, in minutes: what a response-time report counts."""
    if end <= start:
        return 0.0
    if calendar.always_open:
        return (end - start).total_seconds() / 60
    total = timedelta()
    local_start, local_end = start.astimezone(calendar.zone), end.astimezone(calendar.zone)
    day = local_start.date()
    while day <= local_end.date():
        for opens, closes in calendar.windows(day):
            begin, finish = max(opens, local_start), min(closes, local_end)
            if finish > begin:
                total += finish.astimezone(ZoneInfo("UTC")) - begin.astimezone(ZoneInfo("UTC"))
        day += timedelta(days=1)
    return total.total_seconds() / 60
