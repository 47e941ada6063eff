"""The calendar in the workspace's time zone, across daylight-saving changes; exports."""

from __future__ import annotations

import csv
import io
import zoneinfo
from datetime import UTC, date, datetime

import pytest

from kalrav.publishing import posts, scheduling
from kalrav.publishing.calendar import exports, grid
from kalrav.publishing.models import Variant, VariantState
from kalrav.publishing.tests.helpers import channel
from kalrav.workspaces.audit import Actor

ATHENS = zoneinfo.ZoneInfo("Europe/Athens")  # UTC+2 in winter, UTC+3 from 30 March 2025 (01:00 UTC)
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


class Item:
    def __init__(self, at):
        self.scheduled_at = at


def test_a_post_after_local_midnight_is_on_the_local_day():
    # 22:30 UTC on 29 March is 00:30 on 30 March in Athens.
    days = grid.group_by_day([Item(datetime(2025, 3, 29, 22, 30, tzinfo=UTC))], ATHENS)
    assert list(days) == [date(2025, 3, 30)]


def test_the_day_clocks_go_forward_is_23_hours_long():
    start, end = grid.utc_range(date(2025, 3, 30), date(2025, 3, 30), ATHENS)
    assert start == datetime(2025, 3, 29, 22, 0, tzinfo=UTC)
    assert end == datetime(2025, 3, 30, 21, 0, tzinfo=UTC)
    # 21:30 UTC on the 30th is already 00:30 on the 31st (UTC+3); a fixed +2 offset would say 23:30.
    days = grid.group_by_day([Item(datetime(2025, 3, 30, 21, 30, tzinfo=UTC))], ATHENS)
    assert list(days) == [date(2025, 3, 31)]


def test_the_day_clocks_go_back_is_25_hours_long():
    start, end = grid.utc_range(date(2025, 11, 2), date(2025, 11, 2), NEW_YORK)
    assert (end - start).total_seconds() == 25 * 3600


def test_moving_across_the_change_keeps_the_wall_clock_time():
    nine_before = datetime(2025, 3, 28, 7, 0, tzinfo=UTC)  # 09:00 in Athens, UTC+2
    moved = scheduling.keep_time_on(nine_before, date(2025, 3, 31), ATHENS)
    assert moved == datetime(2025, 3, 31, 6, 0, tzinfo=UTC)  # 09:00 in Athens, UTC+3
    assert moved.astimezone(ATHENS).hour == 9


def test_views_cover_the_right_days():
    month = grid.span("month", date(2025, 2, 14))
    assert (month.first, month.last) == (date(2025, 2, 1), date(2025, 2, 28))
    week = grid.span("week", date(2025, 2, 14))
    assert (week.first, week.last) == (date(2025, 2, 10), date(2025, 2, 16))
    quarter = grid.span("quarter", date(2025, 5, 3))
    assert (quarter.first, quarter.last) == (date(2025, 4, 1), date(2025, 6, 30))
    assert quarter.following == date(2025, 7, 1) and quarter.previous == date(2025, 1, 1)
    assert all(len(week) == 7 for week in grid.weeks(date(2025, 2, 1), date(2025, 2, 28)))


@pytest.fixture
def athens_plan(members, workspace):
    workspace.time_zone = "Europe/Athens"
    workspace.save()
    owner = members["owner"]
    bluesky = channel(workspace, name='Bluesky; main, "official"')
    post = posts.create_post(
        owner,
        Actor(user=owner.user),
        title="Πάσχα, καλό",
        text="Καλό Πάσχα!\nΑπό όλους μας; με αγάπη, \\ τσάι " + "α" * 60,
        campaign="=cmd|' /C calc'!A0",
        tags=["easter"],
        channel_ids=[bluesky.pk],
    )
    variant = post.variants.get()
    scheduling.plan_variant(
        owner, Actor(user=owner.user), variant.pk, datetime(2025, 3, 29, 22, 30, tzinfo=UTC)
    )
    return Variant.objects.select_related("post", "channel").get(pk=variant.pk)


@pytest.mark.django_db
def test_month_page_puts_the_post_on_its_local_day(athens_plan, member_client, workspace):
    response = member_client("client").get(
        f"/w/{workspace.slug}/calendar/?view=week&date=2025-03-30"
    )
    html = response.content.decode()
    assert response.status_code == 200
    cell = html.split('data-day="2025-03-30"')[1].split('data-day="2025-03-31"')[0]
    assert "00:30" in cell and "Πάσχα" in cell
    assert "Europe/Athens" in html


@pytest.mark.django_db
def test_filters_narrow_the_calendar(athens_plan, member_client, workspace):
    client = member_client("editor")
    url = f"/w/{workspace.slug}/calendar/?view=list&date=2025-03-29"
    assert "Πάσχα" in client.get(url + "&tag=easter").content.decode()
    assert "Πάσχα" not in client.get(url + f"&state={VariantState.SCHEDULED}").content.decode()


@pytest.mark.django_db
def test_csv_export_in_local_time_with_utc_and_no_formulas(athens_plan):
    text = exports.to_csv([athens_plan], ATHENS)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["date"] == "2025-03-30" and rows[0]["time"] == "00:30"
    assert rows[0]["scheduled_at_utc"] == "2025-03-29T22:30:00Z"
    assert rows[0]["campaign"].startswith("'=")  # a spreadsheet shows it, never runs it
    assert rows[0]["text"].startswith("Καλό Πάσχα!\n")


@pytest.mark.django_db
def test_ics_export_follows_rfc_5545(athens_plan):
    body = exports.to_ics([athens_plan], "Acme, Tea", datetime(2025, 3, 1, tzinfo=UTC))
    assert body.startswith("BEGIN:VCALENDAR\r\n") and body.endswith("END:VCALENDAR\r\n")
    lines = body.split("\r\n")
    assert all(len(line.encode()) <= 75 for line in lines)
    unfolded = body.replace("\r\n ", "")
    assert "DTSTART:20250329T223000Z\r\n" in unfolded
    assert "DTEND:20250329T224500Z\r\n" in unfolded
    assert f"UID:{athens_plan.idempotency_key}@kalrav" in unfolded
    assert "X-WR-CALNAME:Acme\\, Tea" in unfolded
    assert 'SUMMARY:[Bluesky\\; main\\, "official"] Πάσχα\\, καλό' in unfolded
    assert "DESCRIPTION:Καλό Πάσχα!\\nΑπό όλους μας\\; με αγάπη\\, \\\\ τσάι" in unfolded
    # Folding never splits a multi-byte character.
    for line in lines:
        line.encode("utf-8").decode("utf-8")


@pytest.mark.django_db
def test_export_views_answer_with_files(athens_plan, member_client, workspace):
    client = member_client("analyst")
    ics = client.get(f"/w/{workspace.slug}/calendar/export.ics?date=2025-03-01")
    assert ics["Content-Type"].startswith("text/calendar")
    assert b"DTSTART:20250329T223000Z" in ics.content
    csv_response = client.get(f"/w/{workspace.slug}/calendar/export.csv?date=2025-03-01")
    assert "2025-03-30" in csv_response.content.decode("utf-8-sig")


@pytest.mark.django_db
def test_drag_and_drop_moves_in_local_time(athens_plan, member_client, workspace):
    client = member_client("editor")
    response = client.post(
        f"/w/{workspace.slug}/calendar/move/{athens_plan.pk}/", {"day": "2025-04-02"}
    )
    assert response.status_code == 200, response.content
    athens_plan.refresh_from_db()
    # Still 00:30 in Athens, now UTC+3.
    assert athens_plan.scheduled_at == datetime(2025, 4, 1, 21, 30, tzinfo=UTC)
    bad = client.post(f"/w/{workspace.slug}/calendar/move/{athens_plan.pk}/", {"day": "soon"})
    assert bad.status_code == 400 and bad.json()["message"]


@pytest.mark.django_db
def test_empty_calendar_says_what_to_do(member_client, workspace):
    html = member_client("owner").get(f"/w/{workspace.slug}/calendar/").content.decode()
    assert "Connect your first channel" in html
    channel(workspace)
    html = member_client("owner").get(f"/w/{workspace.slug}/calendar/?view=list").content.decode()
    assert "Plan your first post" in html and "Write a post" in html
