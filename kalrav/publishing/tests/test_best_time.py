"""Best time to post: from the channel's own incoming comments, replies and mentions by hour of the
week in the workspace's zone, and honest about too little history."""

from __future__ import annotations

import itertools
import json
import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from kalrav.api import tokens
from kalrav.inbox.models import Conversation, Direction, Message
from kalrav.publishing import posts
from kalrav.publishing.models import Variant, VariantState
from kalrav.publishing.queues import best_time
from kalrav.publishing.tests.helpers import channel
from kalrav.workspaces.audit import Actor

pytestmark = pytest.mark.django_db

KOLKATA = zoneinfo.ZoneInfo("Asia/Kolkata")
NOW = datetime(2025, 3, 14, 12, 0, tzinfo=UTC)  # a Friday
_ids = itertools.count()


@pytest.fixture
def bluesky(workspace):
    return channel(workspace)


def engage(ch, when: datetime, n: int = 1, kind="comment", direction=Direction.IN) -> None:
    conversation = Conversation.objects.create(
        workspace=ch.workspace, channel=ch, root_remote_id=f"root-{next(_ids)}", kind=kind
    )
    Message.objects.bulk_create(
        Message(
            conversation=conversation,
            channel=ch,
            remote_id=f"m-{next(_ids)}",
            kind=kind,
            direction=direction,
            text="ভালো চা!",
            created_at=when + timedelta(minutes=k),
        )
        for k in range(n)
    )


def test_too_little_history_says_so_instead_of_guessing(bluesky):
    engage(bluesky, NOW - timedelta(days=2), n=29)
    engage(bluesky, NOW - timedelta(days=40), n=50)  # older than four weeks: not counted
    found = best_time.compute(bluesky.pk, KOLKATA, now=NOW)
    assert not found.enough and found.top == [] and found.next_at is None
    assert found.engagements == 29
    assert found.message.startswith("Not enough history yet: 29 comments, replies and mentions")


def test_picks_the_hour_with_most_engagement_in_the_workspace_zone(bluesky):
    # Tuesday 11 March 12:40 UTC is Tuesday 18:10 in Kolkata; 20 of them.
    engage(bluesky, datetime(2025, 3, 11, 12, 40, tzinfo=UTC), n=20)
    # Monday 10 March 03:30 UTC is Monday 09:00 in Kolkata; 12 of them.
    engage(bluesky, datetime(2025, 3, 10, 3, 30, tzinfo=UTC), n=12, kind="mention")
    # What does not count: our own replies, direct messages, another channel's engagement.
    engage(bluesky, datetime(2025, 3, 12, 4, 0, tzinfo=UTC), n=40, direction=Direction.OUT)
    engage(bluesky, datetime(2025, 3, 12, 4, 0, tzinfo=UTC), n=40, kind="direct_message")
    other = channel(bluesky.workspace, network="mastodon", name="Other")
    engage(other, datetime(2025, 3, 12, 4, 0, tzinfo=UTC), n=40)
    found = best_time.compute(bluesky.pk, KOLKATA, now=NOW)
    assert found.enough and found.engagements == 32
    assert [(h.weekday, h.hour, h.engagements) for h in found.top] == [(1, 18, 20), (0, 9, 12)]
    # The next Tuesday 18:00 in Kolkata after Friday 14 March.
    assert found.next_at == datetime(2025, 3, 18, 18, 0, tzinfo=KOLKATA)
    assert "Tuesday around 18:00 (20 of 32)" in found.message


def test_hours_follow_daylight_saving(workspace, bluesky):
    athens = zoneinfo.ZoneInfo("Europe/Athens")
    # 07:00 UTC is 09:00 in Athens before 30 March 2025 and 10:00 after: the same local hour is
    # found on both sides only when counted in the zone, row by row.
    engage(bluesky, datetime(2025, 3, 24, 7, 0, tzinfo=UTC), n=15)  # Monday, EET: 09:00
    engage(bluesky, datetime(2025, 3, 31, 6, 0, tzinfo=UTC), n=15)  # Monday, EEST: 09:00
    found = best_time.compute(bluesky.pk, athens, now=datetime(2025, 4, 2, tzinfo=UTC))
    assert [(h.weekday, h.hour, h.engagements) for h in found.top] == [(0, 9, 30)]


def test_ties_go_to_the_hour_we_post_in_less(boss_post):
    ch, variant = boss_post
    engage(ch, datetime(2025, 3, 11, 12, 40, tzinfo=UTC), n=15)  # Tue 18:10 Kolkata
    engage(ch, datetime(2025, 3, 12, 12, 40, tzinfo=UTC), n=15)  # Wed 18:10 Kolkata
    Variant.objects.filter(pk=variant.pk).update(
        state=VariantState.PUBLISHED, published_at=datetime(2025, 3, 11, 12, 35, tzinfo=UTC)
    )
    found = best_time.compute(ch.pk, KOLKATA, now=NOW)
    assert [(h.weekday, h.posts) for h in found.top] == [(2, 0), (1, 1)]


@pytest.fixture
def boss_post(members, bluesky):
    boss = members["owner"]
    post = posts.create_post(
        boss, Actor(user=boss.user), title="T", text="x", channel_ids=[bluesky.pk]
    )
    return bluesky, post.variants.get()


def test_shown_on_the_queue_page_the_post_page_and_the_api(
    boss_post, member_client, members, workspace, client
):
    ch, variant = boss_post
    with time_machine.travel(NOW, tick=False):
        engage(ch, datetime(2025, 3, 11, 12, 40, tzinfo=UTC), n=31)
        queue_page = member_client("editor").get(f"/w/{workspace.slug}/calendar/queues/")
        assert "Most engagement arrives on Tuesday around 18:00" in queue_page.content.decode()
        post_page = member_client("editor").get(f"/w/{workspace.slug}/posts/{variant.post_id}/")
        html = post_page.content.decode()
        assert "Most engagement arrives on Tuesday around 18:00" in html
        assert "Schedule for Tue 18 Mar, 18:00" in html
        member = members["client"]
        token = tokens.create_token(member, Actor(user=member.user), name="t", role="client")[1]
        answer = client.get(
            f"/api/v1/workspaces/{workspace.slug}/channels/{ch.pk}/best-time",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
    body = json.loads(answer.content)
    assert body["enough_history"] is True and body["engagements"] == 31
    assert body["top"][0] == {"weekday": 1, "hour": 18, "engagements": 31, "posts": 0}
    assert body["next_at"].startswith("2025-03-18T12:30")


# --- The queue's suggested slots -----------------------------------------------------------------


def test_free_slots_in_best_hours_are_marked_and_the_best_ranked_is_offered(boss_post):
    from kalrav.publishing.queues import services as queues

    ch, _variant = boss_post
    engage(ch, datetime(2025, 3, 11, 12, 40, tzinfo=UTC), n=20)  # Tue 18:10 Kolkata: first
    engage(ch, datetime(2025, 3, 10, 3, 30, tzinfo=UTC), n=12)  # Mon 09:00 Kolkata: second
    best = best_time.compute(ch.pk, KOLKATA, now=NOW)
    slots = queues.parse_slots("Mon 09:30; Tue 18:00; Wed 10:00")
    free = queues.free_slots(ch.pk, KOLKATA, now=NOW, limit=6, slots=slots)
    marked = best_time.mark_slots(free, best, KOLKATA)
    local = [(s.at.astimezone(KOLKATA).strftime("%a %d %H:%M"), s.in_best_hour) for s in marked]
    assert local[:3] == [("Mon 17 09:30", True), ("Tue 18 18:00", True), ("Wed 19 10:00", False)]
    # The best-ranked hour wins over the sooner second-best one.
    offered = best_time.best_slot(marked, best)
    assert offered is not None and offered.at == datetime(2025, 3, 18, 18, 0, tzinfo=KOLKATA)
    assert offered.hour is not None and (offered.hour.weekday, offered.hour.hour) == (1, 18)
    # Without a best hour among the slots, nothing is offered.
    wednesdays = queues.free_slots(ch.pk, KOLKATA, now=NOW, limit=3, slots=[(2, slots[2][1])])
    assert best_time.best_slot(best_time.mark_slots(wednesdays, best, KOLKATA), best) is None
    # Nor while the channel has too little history.
    thin = best_time.compute(ch.pk, KOLKATA, now=NOW + timedelta(weeks=8))
    assert not thin.enough
    assert best_time.best_slot(best_time.mark_slots(free, thin, KOLKATA), thin) is None


def test_queue_page_and_post_page_offer_the_best_slot_but_add_to_queue_keeps_the_order(
    boss_post, member_client, members, workspace
):
    from kalrav.publishing.queues import services as queues

    ch, variant = boss_post
    boss = members["owner"]
    queues.replace_slots(
        boss, Actor(user=boss.user), ch.pk, queues.parse_slots("Mon 09:30; Tue 18:00")
    )
    with time_machine.travel(NOW, tick=False):
        engage(ch, datetime(2025, 3, 11, 12, 40, tzinfo=UTC), n=31)  # Tue 18:10 Kolkata
        page = member_client("editor").get(f"/w/{workspace.slug}/calendar/queues/")
        html = page.content.decode()
        assert "Suggested slot: <strong>Tue 18 Mar, 18:00</strong>" in html
        assert html.count('<span class="badge ok">best hour</span>') == 2  # suggestion + list
        post_page = member_client("editor").get(f"/w/{workspace.slug}/posts/{variant.post_id}/")
        text = post_page.content.decode()
        assert "Schedule for Tue 18 Mar, 18:00 (a free queue slot in a best hour)" in text
        assert "next free slot Mon 17 Mar, 09:30" in text
        # "Add to queue" takes the queue's next free slot as the user ordered it.
        queued = queues.queue_variant(boss, Actor(user=boss.user), variant.pk, now=NOW)
    assert queued.scheduled_at == datetime(2025, 3, 17, 9, 30, tzinfo=KOLKATA)


def test_queue_page_shows_the_confidence_of_a_best_hour_slot_from_the_rates_model(
    boss_post, member_client, members, workspace, monkeypatch
):
    from kalrav.publishing.queues import services as queues

    ch, _variant = boss_post
    boss = members["owner"]
    queues.replace_slots(
        boss, Actor(user=boss.user), ch.pk, queues.parse_slots("Tue 18:00; Wed 10:00")
    )
    # Measured posts as the analytics reader hands them over: Tuesdays 18:xx Kolkata do well,
    # Wednesdays 10:xx do not (rates vary a little within each, as real posts do).
    tuesday, wednesday = (
        datetime(2025, 3, 11, 12, 40, tzinfo=UTC),
        datetime(2025, 3, 12, 4, 40, tzinfo=UTC),
    )
    rows = [(tuesday - timedelta(weeks=k), 80.0 + k, 1000.0) for k in range(8)]
    rows += [(wednesday - timedelta(weeks=k), 20.0 + k, 1000.0) for k in range(8)]
    monkeypatch.setattr(
        best_time,
        "measured_posts",
        lambda channel_id, since, now, floor: (
            [r for r in rows if since <= r[0] < now] if channel_id == ch.pk else []
        ),
    )
    with time_machine.travel(NOW, tick=False):
        found = best_time.compute(ch.pk, KOLKATA)
        html = member_client("editor").get(f"/w/{workspace.slug}/calendar/queues/").content.decode()
    assert found.method == best_time.RATES and (found.top[0].weekday, found.top[0].hour) == (1, 18)
    sure = found.top[0].confidence_percent
    assert sure is not None and sure > 50
    assert "Suggested slot: <strong>Tue 18 Mar, 18:00</strong>" in html
    assert f"{sure}% likely above the usual" in html
    # Wednesday 10:00 is among the ranked hours but below the usual rate: not called a best hour.
    assert any(h.weekday == 2 and (h.confidence or 0) < 0.5 for h in found.top)
    assert html.count('<span class="badge ok">best hour</span>') == 3  # suggestion + 2 Tuesdays
