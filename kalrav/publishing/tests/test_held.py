"""A variant whose channel is paused is held, and every page says so: the post page and the
calendar show "Held: channel paused" instead of a "Scheduled" whose time has passed, the composer
and "Publish now" warn, and the toast after "Publish now" does not say it is publishing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from kalrav.channels.models import ChannelState
from kalrav.publishing import posts, scheduling
from kalrav.publishing.models import Variant, VariantState
from kalrav.publishing.tests.helpers import channel
from kalrav.workspaces.audit import Actor

pytestmark = pytest.mark.django_db


@pytest.fixture
def held_variant(workspace, members):
    owner = members["owner"]
    paused = channel(workspace, name="Demo Bluesky")
    post = posts.create_post(
        owner, Actor(user=owner.user), title="Chai", text="Chai at six", channel_ids=[paused.pk]
    )
    variant = post.variants.get()
    scheduling.schedule_variant(
        owner, Actor(user=owner.user), variant.pk, timezone.now() + timedelta(hours=1)
    )
    paused.state = ChannelState.PAUSED
    paused.save()
    # The time came while the channel was paused: the publisher leaves it scheduled.
    Variant.objects.filter(pk=variant.pk).update(scheduled_at=timezone.now() - timedelta(hours=2))
    return Variant.objects.select_related("channel", "post").get(pk=variant.pk)


def test_post_page_shows_held_instead_of_a_past_scheduled(member_client, workspace, held_variant):
    page = member_client("owner").get(f"/w/{workspace.slug}/posts/{held_variant.post_id}/")
    html = page.content.decode()
    assert "Held: channel paused" in html
    assert '<span class="badge ok">Scheduled</span>' not in html
    # "Publish now" warns before it is pressed.
    assert "This channel is paused: its posts wait until you resume it." in html


def test_calendar_shows_held(member_client, workspace, held_variant):
    day = timezone.localtime(held_variant.scheduled_at).date().isoformat()
    for view in ("month", "list"):
        html = (
            member_client("owner")
            .get(f"/w/{workspace.slug}/calendar/?view={view}&date={day}")
            .content.decode()
        )
        assert "Held: channel paused" in html, view


def test_publish_now_on_a_paused_channel_does_not_claim_to_publish(
    member_client, workspace, held_variant
):
    client = member_client("owner")
    answer = client.post(
        f"/w/{workspace.slug}/variants/{held_variant.pk}/publish-now/", follow=True
    )
    toasts = [str(m) for m in answer.context["messages"]]
    assert toasts == ["This channel is paused: its posts wait until you resume it."]
    assert Variant.objects.get(pk=held_variant.pk).state == VariantState.SCHEDULED


def test_an_active_channel_shows_scheduled(member_client, workspace, held_variant):
    held_variant.channel.state = ChannelState.ACTIVE
    held_variant.channel.save()
    Variant.objects.filter(pk=held_variant.pk).update(
        scheduled_at=timezone.now() + timedelta(hours=2)
    )
    html = (
        member_client("owner")
        .get(f"/w/{workspace.slug}/posts/{held_variant.post_id}/")
        .content.decode()
    )
    assert "Held: channel" not in html
