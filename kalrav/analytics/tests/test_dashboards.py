"""The analytics dashboard: totals and their change against the previous period, filters by
channel, network, campaign, tag and language, top and bottom posts with the impressions floor,
response times from the inbox, the empty state, campaigns and their UTM name."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from kalrav.analytics.campaigns import services as campaigns
from kalrav.analytics.campaigns.models import Campaign
from kalrav.analytics.dashboards import queries
from kalrav.analytics.links import services as links
from kalrav.analytics.tests.figures import published, read
from kalrav.inbox.models import Conversation
from kalrav.publishing.tests.helpers import channel

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
UTC_ZONE = zoneinfo.ZoneInfo("UTC")


def _filters(workspace, **extra) -> queries.Filters:
    return queries.Filters(workspace_id=workspace.pk, zone=UTC_ZONE, start=date(2026, 11, 10),
                           end=date(2026, 12, 7), **extra)  # fmt: skip


@pytest.fixture
def two_channels(workspace):
    bluesky = channel(workspace, name="Bluesky")
    mastodon = channel(workspace, network="mastodon", name="Mastodon")
    # This period (28 days to 7 December) and the one before it.
    a = published(bluesky, NOW - timedelta(days=3), tags=["Diwali"], campaign="")
    read(a, NOW, likes=30, replies=10, views=1000)
    b = published(mastodon, NOW - timedelta(days=5), language="en", campaign="Winter tea")
    read(b, NOW, likes=5, views=500)
    c = published(bluesky, NOW - timedelta(days=2))
    read(c, NOW, likes=9, views=40)  # under the floor of top and bottom posts
    old = published(bluesky, NOW - timedelta(days=40))
    read(old, NOW, likes=10, views=1000)
    return bluesky, mastodon, (a, b, c, old)


def test_totals_and_the_change_against_the_previous_period(workspace, two_channels):
    now = queries.totals(_filters(workspace))
    before = queries.totals(_filters(workspace).previous())
    assert (now["posts"], now["engagements"], now["impressions"]) == (3, 54, 1540)
    assert now["engagement_rate"] == pytest.approx(100 * 54 / 1540)
    assert (before["posts"], before["engagements"]) == (1, 10)
    change = queries.deltas(now, before)
    assert change["engagements"] == pytest.approx(440.0)
    assert change["engagement_rate"] == pytest.approx(100 * 54 / 1540 - 1.0)  # points
    assert change["clicks"] is None  # nothing to compare with


def test_filters_by_channel_network_campaign_tag_and_language(workspace, two_channels):
    bluesky, _mastodon, _posts = two_channels
    assert queries.totals(_filters(workspace, channel_id=bluesky.pk))["engagements"] == 49
    assert queries.totals(_filters(workspace, network="mastodon"))["engagements"] == 5
    assert queries.totals(_filters(workspace, tag="diwali"))["engagements"] == 40
    assert queries.totals(_filters(workspace, language="en"))["posts"] == 1
    named = Campaign.objects.create(workspace=workspace, name="Winter tea",
                                    starts_on=date(2026, 11, 1), ends_on=date(2026, 12, 31))  # fmt: skip
    tagged = Campaign.objects.create(workspace=workspace, name="Festival", tags=["diwali"],
                                     starts_on=date(2026, 12, 1), ends_on=date(2026, 12, 31))  # fmt: skip
    assert queries.totals(_filters(workspace, campaign=named))["engagements"] == 5
    assert queries.totals(_filters(workspace, campaign=tagged))["engagements"] == 40
    # By-post and by-channel paths agree on the whole workspace.
    series = queries.over_time(_filters(workspace))
    assert len(series) == 28 and sum(e for _d, _s, e in series) == 54
    assert sum(e for _d, _s, e in queries.over_time(_filters(workspace, tag="diwali"))) == 40


def test_top_and_bottom_posts_leave_out_posts_with_few_impressions(workspace, two_channels):
    _b, _m, (a, b, c, _old) = two_channels
    top = queries.ranked_posts(_filters(workspace), best=True)
    bottom = queries.ranked_posts(_filters(workspace), best=False)
    assert [f.variant_id for f in top] == [a.pk, b.pk]
    assert [f.variant_id for f in bottom] == [b.pk, a.pk]
    assert c.pk not in {f.variant_id for f in top}


def test_response_times_median_and_p90_per_day(workspace, two_channels):
    bluesky = two_channels[0]
    for n, minutes in enumerate([5, 10, 15, 20, 100]):
        Conversation.objects.create(workspace=workspace, channel=bluesky, root_remote_id=f"r{n}",
                                    kind="comment", received_at=NOW - timedelta(days=1),
                                    first_response_wall_minutes=minutes)  # fmt: skip
    found = queries.response_times(_filters(workspace))
    day = dict((d, (n, m, p)) for d, n, m, p in found["days"])[date(2026, 12, 6)]
    assert day == (5, 15, 100) and found["median"] == 15 and found["answered"] == 5


def test_the_page_shows_charts_tables_and_definitions(workspace, two_channels, member_client):
    with time_machine.travel(NOW, tick=False):
        page = member_client("analyst").get(f"/w/{workspace.slug}/analytics/?period=28")
        html = page.content.decode()
        assert page.status_code == 200
        assert 'data-chart="chart-0"' in html and 'type="application/json"' in html
        assert (
            '<details class="chart-table">' in html and "Engagement rate: engagements over" in html
        )
        assert "+440.0%" in html  # engagements against the previous 28 days
        bad = member_client("analyst").get(
            f"/w/{workspace.slug}/analytics/?period=custom&start=2026-12-07&end=2026-12-01"
        )
        assert "The last day comes before the first." in bad.content.decode()


def test_empty_state_says_what_to_do(workspace, member_client):
    html = member_client("owner").get(f"/w/{workspace.slug}/analytics/").content.decode()
    assert "No figures yet" in html and "Publish a post" in html and "data-chart" not in html


def test_campaign_pages_and_the_utm_name_of_tagged_posts(workspace, member_client):
    editor = member_client("editor")
    answer = editor.post(f"/w/{workspace.slug}/analytics/campaigns/new/", {
        "name": "Diwali 2026", "starts_on": "2026-11-01", "ends_on": "2026-11-30",
        "goal": "More orders", "goal_value": "1000", "goal_metric": "@engagements",
        "tags_text": "#Diwali, lamps"})  # fmt: skip
    assert answer.status_code == 302
    made = Campaign.objects.get()
    assert made.tags == ["diwali", "lamps"]
    wrong = editor.post(f"/w/{workspace.slug}/analytics/campaigns/{made.pk}/", {
        "name": "Diwali 2026", "starts_on": "2026-11-30", "ends_on": "2026-11-01"})  # fmt: skip
    assert wrong.status_code == 400 and "ends before it starts" in wrong.content.decode()
    assert (
        "Diwali 2026"
        in member_client("client").get(f"/w/{workspace.slug}/analytics/campaigns/").content.decode()
    )
    assert (
        member_client("client").get(f"/w/{workspace.slug}/analytics/campaigns/new/").status_code
        == 403
    )
    ch = channel(workspace)
    variant = published(ch, datetime(2026, 11, 5, tzinfo=UTC), tags=["Lamps"])
    assert campaigns.campaign_of(variant.post, on=date(2026, 11, 5)) == made
    with time_machine.travel(datetime(2026, 11, 5, 10, tzinfo=UTC), tick=False):
        link = links.track(variant, "https://shanti.example/shop")
    assert link.campaign == "Diwali 2026" and "utm_campaign=Diwali+2026" in link.destination


@pytest.mark.parametrize("zone_name", ["Europe/Athens", "Asia/Kolkata", "America/St_Johns"])
def test_counts_per_local_day_agree_with_the_zone_across_daylight_saving(workspace, zone_name):
    """Each row's local day computed by Python's zoneinfo, against the per-day count of the
    database (SQLite counts each stretch of constant UTC offset with its own date())."""
    zone = zoneinfo.ZoneInfo(zone_name)
    ch = channel(workspace)
    # Every 37 minutes for 10 days around the spring change (29 March 2026 in Athens, 8 March in
    # St John's), so rows fall just before and after midnights and the change itself.
    first = datetime(2026, 3, 3, tzinfo=UTC)
    moments = [first + timedelta(minutes=37 * k) for k in range(0, 40 * 24 * 60 // 37)]
    Conversation.objects.bulk_create(
        Conversation(workspace=workspace, channel=ch, root_remote_id=f"d{k}", kind="comment",
                     received_at=at)
        for k, at in enumerate(moments)
    )  # fmt: skip
    begin = datetime(2026, 3, 5, tzinfo=zone)
    end = datetime(2026, 4, 5, tzinfo=zone)
    expected: dict[date, int] = {}
    for at in moments:
        if begin <= at < end:
            day = at.astimezone(zone).date()
            expected[day] = expected.get(day, 0) + 1
    found = queries.per_local_day(
        Conversation.objects.filter(
            workspace=workspace, received_at__gte=begin, received_at__lt=end
        ),
        "received_at",
        zone,
        begin,
        end,
    )
    assert found == expected
    spans = queries.offset_spans(zone, begin, end)
    assert spans[0][0] == begin and spans[-1][1] == end
    assert len(spans) == (1 if zone_name == "Asia/Kolkata" else 2)
    if zone_name == "Europe/Athens":
        assert spans[0][1] == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
        assert [m for _s, _e, m in spans] == [120, 180]
