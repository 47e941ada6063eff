from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kalrav.inbox.sla.calendar import BusinessCalendar, deadline, open_minutes_between

WEEKDAYS_9_TO_18 = {day: [("09:00", "18:00")] for day in ("mon", "tue", "wed", "thu", "fri")}


def kolkata(holidays=()):
    return BusinessCalendar.from_settings("Asia/Kolkata", WEEKDAYS_9_TO_18, holidays)


def test_always_open_counts_every_minute():
    calendar = BusinessCalendar.from_settings("UTC", {})
    start = datetime(2026, 11, 21, 23, 50, tzinfo=UTC)
    assert deadline(start, 15, calendar) == datetime(2026, 11, 22, 0, 5, tzinfo=UTC)


def test_a_friday_evening_message_is_due_on_monday_morning():
    # Friday 27 Nov 2026, 17:50 in Kolkata (12:20 UTC): 10 minutes left on Friday, 5 on Monday.
    start = datetime(2026, 11, 27, 12, 20, tzinfo=UTC)
    due = deadline(start, 15, kolkata())
    assert due == datetime(2026, 11, 30, 3, 35, tzinfo=UTC)  # Monday 09:05 IST


def test_holidays_are_skipped():
    start = datetime(2026, 11, 27, 12, 20, tzinfo=UTC)
    due = deadline(start, 15, kolkata(holidays=["2026-11-30"]))
    assert due == datetime(2026, 12, 1, 3, 35, tzinfo=UTC)  # Tuesday 09:05 IST


def test_daylight_saving_change_in_athens():
    # Greece leaves summer time on Sunday 25 Oct 2026; a team open every day 09:00-18:00 local.
    calendar = BusinessCalendar.from_settings(
        "Europe/Athens",
        {d: [("09:00", "18:00")] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
    )
    start = datetime(2026, 10, 24, 14, 0, tzinfo=UTC)  # Saturday 17:00 EEST
    due = deadline(start, 120, calendar)  # 60 min on Saturday, 60 on Sunday from 09:00 EET
    assert due == datetime(2026, 10, 25, 8, 0, tzinfo=UTC)  # Sunday 10:00 EET = 08:00 UTC


def test_open_minutes_between_skips_nights_and_weekends():
    start = datetime(2026, 11, 27, 12, 20, tzinfo=UTC)  # Fri 17:50 IST
    end = datetime(2026, 11, 30, 3, 35, tzinfo=UTC)  # Mon 09:05 IST
    assert open_minutes_between(start, end, kolkata()) == pytest.approx(15)


def test_windows_may_end_at_midnight():
    calendar = BusinessCalendar.from_settings("UTC", {"mon": [["22:00", "00:00"]]})
    start = datetime(2026, 11, 23, 23, 50, tzinfo=UTC)  # Monday
    assert deadline(start, 15, calendar) == datetime(2026, 11, 30, 22, 5, tzinfo=UTC)


@given(
    start=st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
    ),
    minutes=st.integers(min_value=1, max_value=3000),
)
def test_deadline_and_open_minutes_agree(start, minutes):
    calendar = kolkata()
    due = deadline(start, minutes, calendar)
    assert open_minutes_between(start, due, calendar) == pytest.approx(minutes)
