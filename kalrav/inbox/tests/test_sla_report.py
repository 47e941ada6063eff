"""The response-time report on a constructed data set whose answers are known."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from kalrav.channels.models import Channel
from kalrav.inbox.models import Conversation, Team
from kalrav.inbox.sla import report as sla_report

# Mon 16 Nov 2026 (ISO week 47) and Mon 23 Nov (week 48), 06:00 UTC = 11:30 in Kolkata.
WEEK_47 = datetime(2026, 11, 16, 6, 0, tzinfo=UTC)
WEEK_48 = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)


def make(
    workspace,
    channel,
    received,
    first=None,
    resolved=None,
    *,
    team=None,
    who=None,
    wall=None,
    state="open",
    n=0,
):
    """A conversation answered after `first` business minutes (wall-clock `wall`, default
    the same), due in 15; resolved after `resolved`, due in 120."""
    return Conversation(
        workspace=workspace,
        channel=channel,
        root_remote_id=f"c{n}",
        kind="comment",
        state=state,
        team=team,
        assignee=who,
        received_at=received,
        first_response_due=received + timedelta(minutes=15),
        resolution_due=received + timedelta(minutes=120),
        first_response_at=received + timedelta(minutes=wall or first)
        if first is not None
        else None,
        first_response_business_minutes=first,
        first_response_wall_minutes=(wall or first) if first is not None else None,
        resolved_at=received + timedelta(minutes=resolved) if resolved is not None else None,
        resolution_business_minutes=resolved,
        resolution_wall_minutes=resolved,
    )


@pytest.fixture
def data(workspace, members):
    bsky = Channel.objects.create(workspace=workspace, network="bluesky", name="Bluesky")
    masto = Channel.objects.create(workspace=workspace, network="mastodon", name="Mastodon")
    billing = Team.objects.create(workspace=workspace, name="Billing")
    agent = members["agent"].user
    rows = []
    # Billing on Bluesky, week 47: answered after 1..10 minutes (one each), agent assigned.
    for i, minutes in enumerate(range(1, 11)):
        rows.append(
            make(
                workspace,
                bsky,
                WEEK_47 + timedelta(hours=i),
                minutes,
                minutes * 10,
                team=billing,
                who=agent,
                n=i,
            )
        )
    # No team, Mastodon, week 48: answered after 20, 40 (late) with a long wall-clock wait.
    rows.append(make(workspace, masto, WEEK_48, 20, None, wall=900, n=20))
    rows.append(make(workspace, masto, WEEK_48 + timedelta(hours=1), 40, 200, wall=1000, n=21))
    # Not answered, already past due: missed. Not answered, not yet due: not judged.
    rows.append(make(workspace, masto, WEEK_48 + timedelta(hours=2), n=22))
    rows.append(make(workspace, masto, NOW - timedelta(minutes=5), n=23))
    # Spam and conversations outside the dates are left out.
    rows.append(make(workspace, masto, WEEK_48, 1, 1, state="spam", n=24))
    rows.append(make(workspace, masto, WEEK_47 - timedelta(days=30), 1, 1, n=25))
    Conversation.objects.bulk_create(rows)
    return {"billing": billing, "agent": agent}


def test_percentile_is_nearest_rank():
    values = [(m, 1) for m in range(1, 11)]
    assert sla_report.percentile(values, 0.5) == 5
    assert sla_report.percentile(values, 0.9) == 9
    assert sla_report.percentile([(3, 9), (50, 1)], 0.9) == 3
    assert sla_report.percentile([(3, 9), (50, 1)], 0.95) == 50
    assert sla_report.percentile([], 0.5) is None


def test_the_report_on_a_known_data_set(data, workspace, django_assert_max_num_queries):
    with django_assert_max_num_queries(25):
        report = sla_report.build(workspace, date(2026, 11, 16), date(2026, 11, 30), now=NOW)
    overall = report.overall
    assert (overall.received, overall.answered) == (14, 12)
    # Within 15 minutes: 1..10 (10 of them); missed: 20, 40 and the unanswered past-due one.
    assert (overall.first_within, overall.first_missed) == (10, 3)
    assert overall.first_share == pytest.approx(10 / 13)
    # Answers 1..10, 20, 40: the median is the 6th value, p90 the 11th.
    assert overall.time("first_business", "median") == 6
    assert overall.time("first_business", "p90") == 20
    assert overall.time("first_wall", "p90") == 900

    billing = next(f for f in report.groups["team"] if f.label == "Billing")
    assert billing.time("first_business", "median") == 5
    assert billing.time("first_business", "p90") == 9
    assert billing.first_share == 1.0
    # Resolved after 10..100 minutes, all within 120.
    assert (billing.resolution_within, billing.resolution_missed) == (10, 0)
    assert billing.time("resolution_business", "median") == 50
    nobody = next(f for f in report.groups["team"] if f.key == "")
    assert nobody.label == "No team" and nobody.first_share == 0.0
    assert nobody.resolution_missed >= 2  # resolved after 200, and one unresolved past due

    by_member = {f.label: f for f in report.groups["member"]}
    assert by_member[data["agent"].display_name].received == 10
    by_network = {f.key: f for f in report.groups["network"]}
    assert by_network["bluesky"].received == 10 and by_network["mastodon"].received == 4
    weeks = [(f.key, f.received) for f in report.groups["week"]]
    assert weeks == [("2026-W47", 10), ("2026-W48", 3), ("2026-W49", 1)]


def test_the_default_range_is_the_last_four_weeks(workspace):
    report = sla_report.build(workspace)
    assert (report.end - report.start).days == 27


def test_the_report_page_the_csv_and_the_api(data, workspace, member_client, client, members):
    page = member_client("analyst").get(
        f"/w/{workspace.slug}/inbox/report/?start=2026-11-16&end=2026-11-30"
    )
    assert page.status_code == 200
    text = page.content.decode()
    assert "Billing" in text and "business minutes" in text and "2026-W47" in text
    csv_text = client.get(
        f"/w/{workspace.slug}/inbox/report.csv?start=2026-11-16&end=2026-11-30"
    ).content.decode()
    lines = csv_text.strip().splitlines()
    assert lines[0].startswith("dimension,group,received")
    assert any(line.startswith("team,Billing,10,10,10,0,1.000,5,9,5,9") for line in lines)
    bad = member_client("analyst").get(
        f"/w/{workspace.slug}/inbox/report/?start=2026-12-01&end=2026-11-01"
    )
    assert bad.status_code == 400
    api = client.get(
        f"/api/v1/workspaces/{workspace.slug}/sla-report?start=2026-11-16&end=2026-11-30"
    )
    assert api.status_code == 200
    body = api.json()
    assert body["overall"]["first_response_business_minutes"] == {"median": 6, "p90": 20}
    assert [w["key"] for w in body["week"]] == ["2026-W47", "2026-W48", "2026-W49"]


def _reference(workspace, start, end, now):
    """The report computed the plain way, from model instances, for comparison."""
    import math
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(workspace.time_zone)
    first_moment = datetime.combine(start, datetime.min.time(), tzinfo=zone)
    after = datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    rows = [
        c
        for c in Conversation.objects.filter(workspace=workspace).select_related("channel")
        if first_moment <= c.received_at < after and c.state != "spam"
    ]

    def week(c):
        year, number, _day = c.received_at.astimezone(zone).isocalendar()
        return f"{year}-W{number:02d}"

    keys = {
        "team": lambda c: str(c.team_id or ""),
        "member": lambda c: str(c.assignee_id or ""),
        "network": lambda c: c.channel.network,
        "week": week,
    }

    def nearest_rank(values, share):
        ordered = sorted(math.floor(v) for v in values)
        return ordered[max(1, math.ceil(share * len(ordered))) - 1]

    def figures(group):
        def judged(done, due):
            pairs = [(getattr(c, done), getattr(c, due)) for c in group]
            within = sum(1 for at, by in pairs if at and by and at <= by)
            late = sum(1 for at, by in pairs if at and by and at > by)
            overdue = sum(1 for at, by in pairs if at is None and by and by < now)
            return within, late + overdue

        times = {}
        for metric, stored in sla_report.DURATIONS:
            values = [getattr(c, stored) for c in group if getattr(c, stored) is not None]
            if values:
                times[metric] = {
                    "median": nearest_rank(values, 0.5),
                    "p90": nearest_rank(values, 0.9),
                }
        return {
            "received": len(group),
            "answered": sum(1 for c in group if c.first_response_at),
            "first": judged("first_response_at", "first_response_due"),
            "resolved": sum(1 for c in group if c.resolved_at),
            "resolution": judged("resolved_at", "resolution_due"),
            "times": times,
        }

    result = {"overall": figures(rows)}
    for dimension, key in keys.items():
        grouped: dict[str, list] = {}
        for c in rows:
            grouped.setdefault(key(c), []).append(c)
        result[dimension] = {k: figures(g) for k, g in grouped.items()}
    return result


def _as_reference(item: sla_report.Figures) -> dict:
    return {
        "received": item.received,
        "answered": item.answered,
        "first": (item.first_within, item.first_missed),
        "resolved": item.resolved,
        "resolution": (item.resolution_within, item.resolution_missed),
        "times": item.times,
    }


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_report_matches_a_plain_computation_on_random_data(
    seed, workspace, members, django_assert_max_num_queries
):
    """500 conversations over 6 weeks around a daylight-saving change, some at the range's and
    weeks' edges, with durations on and just under whole minutes, wall-clock above business."""
    import random

    workspace.time_zone = "America/New_York"  # clocks go back on Sun 1 Nov 2026
    workspace.save()
    rng = random.Random(seed)  # noqa: S311 - sample data, not secrets
    channels = [
        Channel.objects.create(workspace=workspace, network=network, name=f"{network} {i}")
        for network in ("bluesky", "mastodon", "telegram")
        for i in range(2)
    ]
    teams = [Team.objects.create(workspace=workspace, name=f"Team {i}") for i in range(3)]
    people = [m.user for m in members.values()][:4]
    start, end = date(2026, 10, 20), date(2026, 11, 24)
    now = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)
    zone_start = datetime(2026, 10, 20, 4, 0, tzinfo=UTC)  # midnight in New York (EDT)
    edges = [
        zone_start,
        zone_start - timedelta(microseconds=1),
        datetime(2026, 11, 2, 5, 0, tzinfo=UTC),  # Monday 00:00 EST, a week's first moment
        datetime(2026, 11, 2, 4, 59, 59, tzinfo=UTC),
        datetime(2026, 11, 25, 5, 0, tzinfo=UTC),  # the day after the end
        datetime(2026, 11, 25, 4, 59, tzinfo=UTC),
    ]

    def minutes():
        whole, under = float(rng.randint(0, 90)), rng.randint(1, 90) - 1e-9
        return rng.choice([whole, under, rng.uniform(0, 3000), rng.lognormvariate(3, 1)])

    rows = []
    for n in range(500):
        received = zone_start + timedelta(days=rng.uniform(-3, 40))
        if n < len(edges):
            received = edges[n]
        first_due = (
            received + timedelta(minutes=rng.choice([15, 30, 60])) if rng.random() < 0.9 else None
        )
        resolution_due = (
            received + timedelta(minutes=rng.choice([120, 600])) if rng.random() < 0.9 else None
        )
        row = Conversation(
            workspace=workspace, channel=rng.choice(channels), root_remote_id=f"r{n}", kind="comment",
            state=rng.choice(["new", "open", "pending", "resolved", "resolved", "spam"]),
            team=rng.choice([*teams, None]), assignee=rng.choice([*people, None]), received_at=received,
            first_response_due=first_due, resolution_due=resolution_due,
        )  # fmt: skip
        if rng.random() < 0.75:
            business = minutes()
            wall = business + rng.choice([0.0, rng.uniform(0, 2000)])
            row.first_response_at = received + timedelta(minutes=wall)
            row.first_response_business_minutes = business
            row.first_response_wall_minutes = wall
        if rng.random() < 0.5:
            business = minutes() * 3
            wall = business + rng.uniform(0, 3000)
            row.resolved_at = received + timedelta(minutes=wall)
            row.resolution_business_minutes = business
            row.resolution_wall_minutes = wall
        rows.append(row)
    Conversation.objects.bulk_create(rows)

    with django_assert_max_num_queries(5):
        report = sla_report.build(workspace, start, end, now=now)
    expected = _reference(workspace, start, end, now)
    assert _as_reference(report.overall) == expected["overall"]
    for dimension in sla_report.DIMENSIONS:
        found = {item.key: _as_reference(item) for item in report.groups[dimension]}
        assert found == expected[dimension], dimension
    assert [f.key for f in report.groups["week"]] == sorted(expected["week"])
    assert len(report.groups["week"]) == 6  # weeks 43 to 48
    received = [f.received for f in report.groups["team"]]
    assert received == sorted(received, reverse=True)
