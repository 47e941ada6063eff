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
