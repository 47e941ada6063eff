"""Recurring posts: the next occurrence after a publication, at the same local time across
daylight-saving changes, month ends, approval, idempotency, the end of a series, page and API."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, time

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from kalrav.publishing import posts, scheduling, workspace_settings
from kalrav.publishing.models import (
    ApprovalRequest,
    MediaAsset,
    Occurrence,
    Post,
    Recurrence,
    Variant,
    VariantState,
)
from kalrav.publishing.queues import recurrence
from kalrav.publishing.queues.models import Frequency
from kalrav.publishing.signals import variant_published
from kalrav.publishing.tests.helpers import channel
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss(members):
    """The workspace's owner as a member (the `owner` fixture is the user)."""
    return members["owner"]


@pytest.fixture
def actor(boss):
    return Actor(user=boss.user)


@pytest.fixture
def bluesky(workspace):
    return channel(workspace)


def in_zone(workspace, name: str) -> zoneinfo.ZoneInfo:
    workspace.time_zone = name
    workspace.save()
    return zoneinfo.ZoneInfo(name)


def planned_post(boss, actor, channels, when: datetime, **rule) -> Post:
    """A post scheduled at `when` (travelling to a day before, so it is in the future), made to
    repeat with `rule`."""
    with time_machine.travel(datetime.fromtimestamp(when.timestamp() - 86400, UTC), tick=False):
        post = posts.create_post(
            boss, actor, title="Tea time", text="Fresh tea", channel_ids=[c.pk for c in channels]
        )
        scheduling.schedule_post(boss, actor, post.pk, when)
        if rule:
            recurrence.set_recurrence(boss, actor, post.pk, **rule)
    return post


def publish(variant: Variant, at: datetime) -> None:
    """What the publisher does: record the publication, then (after commit) send the signal."""
    with time_machine.travel(at, tick=False):
        Variant.objects.filter(pk=variant.pk).update(
            state=VariantState.PUBLISHED, published_at=timezone.now(), remote_id=f"r{variant.pk}"
        )
        variant.refresh_from_db()
        variant_published.send(sender=Variant, variant=variant)


def successor(post: Post) -> Post | None:
    occurrence = Occurrence.objects.get(post=post)
    found = Occurrence.objects.filter(
        recurrence=occurrence.recurrence, index__gt=occurrence.index
    ).first()
    return found.post if found else None


# --- Rules ----------------------------------------------------------------------------------------


def _rule(anchor: date, frequency=Frequency.MONTHLY, **extra) -> Recurrence:
    extra.setdefault("interval", 1)
    return Recurrence(frequency=frequency, anchor_date=anchor, local_time=time(9), **extra)


def test_monthly_on_the_31st_takes_the_last_day_of_shorter_months_and_comes_back():
    rule = _rule(date(2024, 1, 31))
    assert [recurrence.occurrence_date(rule, n) for n in range(1, 6)] == [
        date(2024, 2, 29),  # leap year
        date(2024, 3, 31),
        date(2024, 4, 30),
        date(2024, 5, 31),
        date(2024, 6, 30),
    ]
    assert recurrence.occurrence_date(_rule(date(2025, 1, 31)), 1) == date(2025, 2, 28)
    # A day of the month other than the anchor's: from 15 January, "on day 30" of later months.
    rule = _rule(date(2025, 1, 15), day_of_month=30)
    assert [recurrence.occurrence_date(rule, n) for n in (1, 2)] == [
        date(2025, 2, 28),
        date(2025, 3, 30),
    ]


def test_weekly_every_two_weeks_and_a_reanchored_series():
    rule = _rule(date(2025, 1, 6), Frequency.WEEKLY, interval=2)
    assert recurrence.occurrence_date(rule, 3) == date(2025, 2, 17)
    rule.anchor_index = 3
    assert recurrence.occurrence_date(rule, 4) == date(2025, 1, 20)


# --- Daylight saving ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "first", "expected_utc"),
    [
        # Athens leaves summer time on 26 October 2025 (UTC+3 → UTC+2)...
        ("Europe/Athens", datetime(2025, 10, 20, 9), datetime(2025, 10, 27, 7, 0, tzinfo=UTC)),
        # ...and enters it on 30 March 2025 (UTC+2 → UTC+3).
        ("Europe/Athens", datetime(2025, 3, 24, 9), datetime(2025, 3, 31, 6, 0, tzinfo=UTC)),
        # New York: 9 March 2025 (UTC-5 → UTC-4) and 2 November 2025 (UTC-4 → UTC-5).
        ("America/New_York", datetime(2025, 3, 3, 9), datetime(2025, 3, 10, 13, 0, tzinfo=UTC)),
        ("America/New_York", datetime(2025, 10, 27, 9), datetime(2025, 11, 3, 14, 0, tzinfo=UTC)),
        # Kolkata has no daylight saving: always UTC+5:30.
        ("Asia/Kolkata", datetime(2025, 3, 24, 9), datetime(2025, 3, 31, 3, 30, tzinfo=UTC)),
        ("Asia/Kolkata", datetime(2025, 10, 20, 9), datetime(2025, 10, 27, 3, 30, tzinfo=UTC)),
    ],
)
def test_next_week_is_at_the_same_local_time(
    zone, first, expected_utc, boss, actor, workspace, bluesky
):
    tz = in_zone(workspace, zone)
    when = first.replace(tzinfo=tz)
    post = planned_post(boss, actor, [bluesky], when, frequency="weekly")
    publish(post.variants.get(), when)
    following = successor(post)
    assert following is not None
    variant = following.variants.get()
    assert variant.state == VariantState.SCHEDULED
    assert variant.scheduled_at == expected_utc
    assert variant.scheduled_at.astimezone(tz).strftime("%H:%M") == "09:00"
    assert (variant.scheduled_at.astimezone(tz).date() - first.date()).days == 7
    # The UTC offset moved in the DST zones and not in Kolkata.
    before, after = when.utcoffset(), variant.scheduled_at.astimezone(tz).utcoffset()
    assert (before == after) == (zone == "Asia/Kolkata")


def test_monthly_across_the_change_and_a_month_end(boss, actor, workspace, bluesky):
    tz = in_zone(workspace, "Europe/Athens")
    when = datetime(2025, 3, 31, 9, tzinfo=tz)
    post = planned_post(boss, actor, [bluesky], when, frequency="monthly")
    publish(post.variants.get(), when)
    april = successor(post).variants.get()
    assert april.scheduled_at.astimezone(tz) == datetime(2025, 4, 30, 9, tzinfo=tz)
    publish(april, april.scheduled_at)
    may = successor(april.post).variants.get()
    assert may.scheduled_at.astimezone(tz) == datetime(2025, 5, 31, 9, tzinfo=tz)
    assert Occurrence.objects.get(post=may.post).index == 2


def test_a_time_in_the_spring_gap_moves_forward_and_returns(boss, actor, workspace, bluesky):
    tz = in_zone(workspace, "America/New_York")
    when = datetime(2025, 3, 2, 2, 30, tzinfo=tz)  # a Sunday; the clocks jump on 9 March
    post = planned_post(boss, actor, [bluesky], when, frequency="weekly")
    publish(post.variants.get(), when)
    gap = successor(post).variants.get()
    # 02:30 does not exist on 9 March: it goes out at 03:30 EDT, an hour of wall clock later.
    assert gap.scheduled_at == datetime(2025, 3, 9, 7, 30, tzinfo=UTC)
    publish(gap, gap.scheduled_at)
    after = successor(gap.post).variants.get()
    assert after.scheduled_at.astimezone(tz).strftime("%m-%d %H:%M %Z") == "03-16 02:30 EDT"


def test_an_ambiguous_autumn_time_takes_the_first_occurrence(boss, actor, workspace, bluesky):
    tz = in_zone(workspace, "America/New_York")
    when = datetime(2025, 10, 26, 1, 30, tzinfo=tz)
    post = planned_post(boss, actor, [bluesky], when, frequency="weekly")
    publish(post.variants.get(), when)
    # 01:30 on 2 November happens twice; the first is still daylight time (UTC-4).
    assert successor(post).variants.get().scheduled_at == datetime(2025, 11, 2, 5, 30, tzinfo=UTC)


# --- Idempotency and the end of a series ----------------------------------------------------------


def test_the_signal_twice_and_every_variant_make_one_next_post(boss, actor, workspace, bluesky):
    mastodon = channel(workspace, network="mastodon", name="Shanti on Mastodon")
    when = datetime(2025, 1, 6, 9, tzinfo=zoneinfo.ZoneInfo("Asia/Kolkata"))
    post = planned_post(boss, actor, [bluesky, mastodon], when, frequency="weekly")
    first, second = post.variants.order_by("id")
    publish(first, when)
    publish(first, when)  # delivered again
    publish(second, when)  # the post's other variant
    assert Post.objects.count() == 2
    following = successor(post)
    assert sorted(following.variants.values_list("channel_id", flat=True)) == sorted(
        [bluesky.pk, mastodon.pk]
    )
    assert AuditEntry.objects.filter(action="post.occurrence").count() == 1
    # The database refuses a second post for the same place in the series.
    occurrence = Occurrence.objects.get(post=following)
    with pytest.raises(IntegrityError), transaction.atomic():
        Occurrence.objects.create(
            recurrence=occurrence.recurrence,
            index=occurrence.index,
            post=Post.objects.create(workspace=workspace, title="dup"),
        )


def test_the_copy_keeps_text_media_and_options(boss, actor, workspace, bluesky):
    asset = MediaAsset.objects.create(
        workspace=workspace, file="publishing/x.png", kind="image", mime_type="image/png", size=1
    )
    when = datetime(2025, 1, 6, 9, tzinfo=zoneinfo.ZoneInfo("Asia/Kolkata"))
    post = planned_post(boss, actor, [bluesky], when)
    variant = post.variants.get()
    with time_machine.travel(datetime(2025, 1, 1, tzinfo=UTC), tick=False):
        posts.edit_variant(
            boss,
            actor,
            variant.pk,
            text="চা, শুধু তোমার জন্য",
            media_ids=[asset.pk],
            options={"first_comment": "☕"},
        )
        scheduling.schedule_variant(boss, actor, variant.pk, when)
        recurrence.set_recurrence(boss, actor, post.pk, frequency="weekly")
    publish(post.variants.get(), when)
    copy = successor(post).variants.get()
    assert copy.text == "চা, শুধু তোমার জন্য"
    assert [a.pk for a in copy.ordered_media()] == [asset.pk]
    assert copy.options == {"first_comment": "☕"}
    assert copy.idempotency_key != variant.idempotency_key
    assert successor(post).title == "Tea time"


def test_with_approval_required_the_next_post_waits_for_it(boss, actor, workspace, bluesky):
    when = datetime(2025, 1, 6, 9, tzinfo=zoneinfo.ZoneInfo("Asia/Kolkata"))
    post = planned_post(boss, actor, [bluesky], when, frequency="weekly")
    workspace_settings.update_publishing_settings(
        boss, actor, require_approval=True, reapprove_after_edit=True
    )
    publish(post.variants.get(), when)
    waiting = successor(post).variants.get()
    assert waiting.state == VariantState.PENDING_APPROVAL
    assert waiting.scheduled_at == datetime(2025, 1, 13, 3, 30, tzinfo=UTC)
    assert waiting.approved_at is None
    assert ApprovalRequest.objects.filter(variant=waiting, decided_at=None).exists()


def test_a_variant_the_checks_refuse_stays_a_planned_draft(boss, actor, workspace, bluesky):
    when = datetime(2025, 1, 6, 9, tzinfo=zoneinfo.ZoneInfo("Asia/Kolkata"))
    post = planned_post(boss, actor, [bluesky], when, frequency="weekly")
    Variant.objects.filter(post=post).update(text="x" * 400)  # too long for Bluesky now
    publish(post.variants.get(), when)
    draft = successor(post).variants.get()
    assert draft.state == VariantState.DRAFT
    assert draft.scheduled_at == datetime(2025, 1, 13, 3, 30, tzinfo=UTC)
    entry = AuditEntry.objects.get(action="post.occurrence")
    assert "Shanti on Bluesky" in entry.changes["not_scheduled"][1]


@pytest.mark.parametrize(
    ("rule", "made"),
    [
        ({"frequency": "weekly", "count": 2}, 1),
        ({"frequency": "weekly", "until": date(2025, 1, 12)}, 0),
        ({"frequency": "weekly", "until": date(2025, 1, 13)}, 1),
        ({"frequency": "weekly", "until": date(2025, 1, 20)}, 2),
    ],
)
def test_a_series_ends_by_count_or_date(rule, made, boss, actor, bluesky):
    when = datetime(2025, 1, 6, 9, tzinfo=zoneinfo.ZoneInfo("Asia/Kolkata"))
    post = planned_post(boss, actor, [bluesky], when, **rule)
    latest = post
    for _n in range(3):
        variant = latest.variants.get()
        publish(variant, max(variant.scheduled_at, when))
        following = successor(latest)
        if following is None:
            break
        latest = following
    assert Post.objects.count() - 1 == made


def test_stopping_a_series_stops_it(boss, actor, bluesky):
    when = datetime(2025, 1, 6, 9, tzinfo=zoneinfo.ZoneInfo("Asia/Kolkata"))
    post = planned_post(boss, actor, [bluesky], when, frequency="weekly")
    recurrence.clear_recurrence(boss, actor, post.pk)
    publish(post.variants.get(), when)
    assert successor(post) is None
    assert AuditEntry.objects.filter(action="post.recurrence_clear").count() == 1


def test_a_late_publication_skips_dates_already_past(boss, actor, bluesky):
    tz = zoneinfo.ZoneInfo("Asia/Kolkata")
    when = datetime(2025, 1, 6, 9, tzinfo=tz)
    post = planned_post(boss, actor, [bluesky], when, frequency="weekly")
    publish(post.variants.get(), datetime(2025, 1, 20, 10, tzinfo=tz))
    following = successor(post)
    assert following.variants.get().scheduled_at.astimezone(tz) == datetime(
        2025, 1, 27, 9, tzinfo=tz
    )
    assert Occurrence.objects.get(post=following).index == 3


def test_the_receiver_never_breaks_publishing(boss, actor, bluesky, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(recurrence, "create_next_occurrence", broken)
    when = datetime(2025, 1, 6, 9, tzinfo=zoneinfo.ZoneInfo("Asia/Kolkata"))
    post = planned_post(boss, actor, [bluesky], when, frequency="weekly")
    publish(post.variants.get(), when)  # does not raise
    assert "could not make the next occurrence" in caplog.text


def test_setting_a_rule_needs_a_time_and_a_sane_rule(boss, actor, bluesky):
    post = posts.create_post(boss, actor, title="T", text="x", channel_ids=[bluesky.pk])
    with pytest.raises(ValidationError, match="Plan the post"):
        recurrence.set_recurrence(boss, actor, post.pk, frequency="weekly")
    with pytest.raises(ValidationError, match="monthly posts only"):
        recurrence.set_recurrence(
            boss,
            actor,
            post.pk,
            frequency="weekly",
            day_of_month=3,
            starts_on=date(2099, 1, 1),
            at=time(9),
        )
    with pytest.raises(ValidationError, match="before the first date"):
        recurrence.set_recurrence(
            boss,
            actor,
            post.pk,
            frequency="monthly",
            starts_on=date(2099, 1, 5),
            at=time(9),
            until=date(2099, 1, 1),
        )
    rule = recurrence.set_recurrence(
        boss, actor, post.pk, frequency="monthly", starts_on=date(2099, 1, 31), at=time(18, 15)
    )
    assert "last day in shorter months" in recurrence.describe(rule)
    # Setting it again changes the same series.
    recurrence.set_recurrence(
        boss, actor, post.pk, frequency="weekly", starts_on=date(2099, 1, 5), at=time(8)
    )
    assert Recurrence.objects.count() == 1 and Occurrence.objects.count() == 1


# --- Pages and API --------------------------------------------------------------------------------


def test_post_page_sets_shows_and_stops_a_repeat(member_client, workspace, boss, actor, bluesky):
    when = datetime(2099, 1, 5, 9, tzinfo=zoneinfo.ZoneInfo("Asia/Kolkata"))  # a Monday
    post = planned_post(boss, actor, [bluesky], when)
    client = member_client("editor")
    url = f"/w/{workspace.slug}/posts/{post.pk}/"
    assert "This post goes out once." in client.get(url).content.decode()
    done = client.post(
        f"{url}recurrence/", {"frequency": "weekly", "interval": "2"}, follow=True
    ).content.decode()
    assert "Every 2 weeks on Monday at 09:00" in done
    assert "Next dates" in done and "Mon 19 Jan 2099, 09:00" in done
    bad = client.post(
        f"{url}recurrence/", {"frequency": "monthly", "interval": "1", "day_of_month": "32"}
    )
    assert bad.status_code == 302 and "r-day_of_month=32" in bad["Location"]
    shown = client.get(bad["Location"]).content.decode()
    assert 'value="32"' in shown and "On day" in shown
    calendar = client.get(f"/w/{workspace.slug}/calendar/?date=2099-01-05").content.decode()
    assert 'class="chip-repeat"' in calendar
    client.post(f"{url}recurrence/clear/")
    assert "stopped" in client.get(url).content.decode()


def test_api_sets_reads_and_clears_a_repeat(call, boss, actor, bluesky):
    when = datetime(2099, 1, 31, 18, tzinfo=zoneinfo.ZoneInfo("Asia/Kolkata"))
    post = planned_post(boss, actor, [bluesky], when)
    path = f"/posts/{post.pk}/recurrence"
    assert call("client", "GET", path).json() == {
        "post_id": post.pk,
        "occurrence_index": None,
        "recurrence": None,
    }
    bad = call("editor", "PUT", path, {"frequency": "monthly", "day_of_month": 32})
    assert bad.status_code == 400 and "1 to 31" in bad.json()["message"]
    assert call("editor", "PUT", path, {"frequency": "daily"}).status_code == 400
    assert call("analyst", "PUT", path, {"frequency": "weekly"}).status_code == 403
    put = call("editor", "PUT", path, {"frequency": "monthly", "count": 3})
    assert put.status_code == 200, put.content
    body = put.json()["recurrence"]
    assert body["starts_on"] == "2099-01-31" and body["time"] == "18:00:00"
    assert [d[:10] for d in body["next_occurrences"]] == ["2099-02-28", "2099-03-31"]
    assert call("editor", "DELETE", path).status_code == 204
    assert call("client", "GET", path).json()["recurrence"]["active"] is False
