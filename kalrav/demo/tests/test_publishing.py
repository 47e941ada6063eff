from __future__ import annotations

import zoneinfo

import pytest

from kalrav.channels.models import Channel
from kalrav.demo import seed
from kalrav.demo.publishing import RECURRING_TITLE, load_demo_posts
from kalrav.publishing.models import Post, Variant
from kalrav.publishing.queues import recurrence
from kalrav.publishing.queues import services as queues
from kalrav.publishing.queues.models import QueueSlot, Recurrence
from kalrav.workspaces.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_demo_fills_a_month_in_five_languages_once():
    seed.load()  # `kalrav demo` fills the calendar too
    assert Post.objects.filter(workspace__slug="shanti-tea").count() >= 12
    # The X, Facebook and Instagram demo channels (kalrav/demo/networks.py) come after the posts.
    channels = Channel.objects.filter(workspace__slug="shanti-tea").exclude(
        network__in=["x", "facebook", "instagram"]
    )
    assert sorted(channels.values_list("network", flat=True)) == ["bluesky", "mastodon", "sandbox"]
    # The real networks' demo channels are paused; the sandbox (a simulation) works.
    assert {c.network: c.state for c in channels} == {
        "bluesky": "paused",
        "mastodon": "paused",
        "sandbox": "active",
    }
    texts = " ".join(Post.objects.values_list("text", flat=True))
    for sample in ("চা", "चाय", "ચા", "τσάι"):
        assert sample in texts
    states = set(Variant.objects.values_list("state", flat=True))
    assert {"draft", "scheduled", "pending_approval", "approved", "changes_requested"} <= states
    assert load_demo_posts() == []  # a second run adds nothing


def test_demo_shows_queues_a_weekly_post_and_a_thread():
    seed.load()
    channels = {c.network: c for c in Channel.objects.filter(workspace__slug="shanti-tea")}
    assert queues.format_slots(queues.slots_of(channels["bluesky"].pk)) == "Mon-Fri 09:30, 13:00"
    assert queues.format_slots(queues.slots_of(channels["mastodon"].pk)) == (
        "Mon-Fri 10:00, 17:30; Sat 11:00"
    )
    # The queued post took each channel's next free slot, at the slot's local time.
    queued = Post.objects.get(title="Weekend brunch")
    zone = zoneinfo.ZoneInfo("Asia/Kolkata")
    for variant in queued.variants.select_related("channel"):
        assert variant.state == "scheduled"
        local = variant.scheduled_at.astimezone(zone)
        assert (local.weekday(), local.time()) in queues.slots_of(variant.channel_id)

    rule = Recurrence.objects.get(workspace__slug="shanti-tea")
    post = Post.objects.get(occurrence__recurrence=rule)
    assert (rule.frequency, rule.interval, rule.active) == ("weekly", 1, True)
    assert post.title == RECURRING_TITLE
    assert all(v.state == "scheduled" for v in post.variants.all())
    assert recurrence.describe(rule).startswith("Every week on")

    threaded = Variant.objects.filter(post__title="From the garden", options__has_key="thread")
    # Both real demo networks take threads and first comments; the sandbox takes neither.
    assert threaded.count() == 2
    assert sorted(threaded.values_list("channel__network", flat=True)) == ["bluesky", "mastodon"]
    for variant in threaded:
        assert len(variant.options["thread"]) == 2
        assert variant.options["first_comment"].startswith("Rina's full story")

    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"queue.update", "post.recurrence", "variant.edit", "variant.schedule"} <= actions


def test_running_again_changes_nothing():
    seed.load()
    counts = (
        Post.objects.count(),
        Variant.objects.count(),
        QueueSlot.objects.count(),
        Recurrence.objects.count(),
        AuditEntry.objects.count(),
    )
    times = sorted(Variant.objects.values_list("pk", "scheduled_at", "state"))
    seed.load()
    assert (
        Post.objects.count(),
        Variant.objects.count(),
        QueueSlot.objects.count(),
        Recurrence.objects.count(),
        AuditEntry.objects.count(),
    ) == counts
    assert sorted(Variant.objects.values_list("pk", "scheduled_at", "state")) == times


def test_an_older_demo_gains_the_new_parts():
    """A demo loaded before queues and series existed gets them, without a second set of posts."""
    seed.load()
    QueueSlot.objects.all().delete()
    Recurrence.objects.all().delete()
    Post.objects.filter(title="Weekend brunch").delete()
    posts = Post.objects.count()
    load_demo_posts()
    assert QueueSlot.objects.count() == 10 + 11
    assert Recurrence.objects.count() == 1
    assert Post.objects.count() == posts + 1
