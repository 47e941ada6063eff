"""What each post achieved, read from the network on a schedule that follows the post's age,
kept as history, within the network's budget; shown on the post's page."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from kalrav.analytics.collection import services as collection
from kalrav.analytics.collection.schedule import next_reading
from kalrav.analytics.models import ChannelMetric, MetricsSchedule, PostMetric
from kalrav.channels import services as channels
from kalrav.channels.models import Channel, ChannelState
from kalrav.connectors.base import OutgoingPost, opened
from kalrav.publishing import posts
from kalrav.publishing.models import Variant, VariantState
from kalrav.sandbox.models import SandboxAccount
from kalrav.workspaces.audit import Actor

pytestmark = pytest.mark.django_db


@pytest.fixture
def sandbox(members, django_capture_on_commit_callbacks) -> Channel:
    owner = members["owner"]
    with django_capture_on_commit_callbacks(execute=True):
        made = channels.connect_channel(
            owner, Actor(user=owner.user), network="sandbox", name="Tea sandbox",
            values={"handle": "tea"},
        )  # fmt: skip
    made.refresh_from_db()
    assert made.state == ChannelState.ACTIVE
    return made


def _published(members, sandbox, text="Chai at six #ShantiTea") -> Variant:
    owner = members["owner"]
    post = posts.create_post(owner, Actor(user=owner.user), title="T", text=text,
                             channel_ids=[sandbox.pk])  # fmt: skip
    with opened(channels.connector_for(sandbox)) as connector:
        ref = connector.publish(OutgoingPost(text), idempotency_key=f"k-{post.pk}")
    variant = post.variants.get()
    Variant.objects.filter(pk=variant.pk).update(
        state=VariantState.PUBLISHED, remote_id=ref.remote_id, published_at=timezone.now()
    )
    variant.refresh_from_db()
    return variant


def test_the_gap_between_readings_grows_with_the_posts_age():
    start = timezone.now()
    gaps = [
        next_reading(start, start + age) - (start + age)
        for age in (timedelta(hours=1), timedelta(hours=20), timedelta(days=3),
                    timedelta(days=10), timedelta(days=60))
    ]  # fmt: skip
    assert gaps == sorted(gaps) and gaps[0] == timedelta(minutes=15)
    assert next_reading(start, start + timedelta(days=91)) is None


def test_readings_are_kept_as_history_and_follow_the_schedule(members, sandbox):
    variant = _published(members, sandbox)
    assert collection.collect() > 0
    first = PostMetric.objects.filter(variant=variant, metric="likes").count()
    assert first == 1
    assert ChannelMetric.objects.filter(channel=sandbox, metric="followers").exists()
    entry = MetricsSchedule.objects.get(variant=variant)
    assert entry.next_at - timezone.now() <= timedelta(minutes=15)
    # Nothing is due yet: a second run reads nothing of the post.
    collection.collect()
    assert PostMetric.objects.filter(variant=variant, metric="likes").count() == 1
    # Two hours on, the figures have grown and a new reading joins the old one.
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        collection.collect()
    likes = list(
        PostMetric.objects.filter(variant=variant, metric="likes")
        .order_by("measured_at")
        .values_list("value", flat=True)
    )
    assert len(likes) == 2 and likes[1] >= likes[0]


def test_a_network_in_trouble_is_asked_again_later_not_at_once(members, sandbox):
    variant = _published(members, sandbox)
    SandboxAccount.objects.update(outage=True)
    collection.collect()
    entry = MetricsSchedule.objects.get(variant=variant)
    assert entry.failures == 1 and entry.next_at > timezone.now() + timedelta(minutes=4)
    assert not PostMetric.objects.filter(variant=variant).exists()


def test_a_paused_channel_spends_no_call(members, sandbox):
    variant = _published(members, sandbox)
    Channel.objects.filter(pk=sandbox.pk).update(state=ChannelState.PAUSED)
    collection.collect()
    assert not PostMetric.objects.filter(variant=variant).exists()
    assert MetricsSchedule.objects.get(variant=variant).next_at > timezone.now()


def test_the_posts_page_shows_the_latest_figures_with_their_definition(
    client, members, workspace, sandbox
):
    variant = _published(members, sandbox)
    collection.collect()
    likes = PostMetric.objects.get(variant=variant, metric="likes").value
    client.force_login(members["analyst"].user)
    page = client.get(f"/w/{workspace.slug}/posts/{variant.post_id}/").content.decode()
    results = page.split('id="post-results-title"')[1].split("</section>")[0]
    assert f"likes: <strong>{likes:g}</strong>" in results
    assert "Engagement rate: likes, reposts, replies" in results
