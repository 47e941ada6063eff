"""The demo's X, Facebook and Instagram channels: there when their connector is, marked as demo
channels, never calling the network, a post to them held with the reason, shown with a badge."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from kalrav.channels import services as channels
from kalrav.channels.models import Channel, ChannelState
from kalrav.connectors import registry
from kalrav.demo import networks, seed
from kalrav.demo.workspaces import DEMO_EMAIL
from kalrav.publishing import posts, scheduling
from kalrav.publishing.delivery.publisher import publish_variant
from kalrav.publishing.held import channel_warning, held_reason
from kalrav.publishing.models import VariantState
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import Member, Workspace

pytestmark = pytest.mark.django_db


@pytest.fixture
def tea(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        seed.load()
    return Workspace.objects.get(slug="shanti-tea")


def _owner(tea) -> Member:
    return Member.objects.select_related("user").get(workspace=tea, user__email=DEMO_EMAIL)


def test_the_demo_has_an_x_a_facebook_and_an_instagram_demo_channel(tea):
    demo = Channel.objects.filter(workspace=tea, network__in=["x", "facebook", "instagram"])
    assert sorted(demo.values_list("network", flat=True)) == ["facebook", "instagram", "x"]
    for channel in demo:
        assert channel.is_demo and channel.state == ChannelState.PAUSED
        assert channel.state_detail == networks.DEMO_NOTICE
    assert not Channel.objects.get(workspace=tea, network="sandbox").is_demo
    seed.load()  # again: nothing more
    assert Channel.objects.filter(workspace=tea, network="x").count() == 1


def test_without_the_facebook_and_instagram_connectors_only_x_is_made(tea):
    Channel.objects.filter(workspace=tea, network__in=["x", "facebook", "instagram"]).delete()
    known = registry.registered()
    try:
        registry.reset({k: v for k, v in known.items() if k not in ("facebook", "instagram")})
        made = networks.demo_channels(tea)
    finally:
        registry.reset(known)
    assert [channel.network for channel in made] == ["x"]


def test_a_post_to_a_demo_channel_is_held_with_the_reason_and_never_sent(tea):
    owner = _owner(tea)
    actor = Actor(user=owner.user)
    x = Channel.objects.get(workspace=tea, network="x")
    post = posts.create_post(
        owner, actor, title="hello", text="Chai time! #ShantiTea", channel_ids=[x.pk]
    )
    variant = post.variants.get()
    assert "demo channel" in channel_warning(x)
    scheduling.publish_now(owner, actor, variant.pk)
    variant.refresh_from_db()
    # The socket guard refuses any address but loopback, so a call to X would fail the test.
    assert publish_variant(variant.pk) is None  # not even claimed: the channel holds it
    variant.refresh_from_db()
    assert variant.state == VariantState.SCHEDULED and not variant.remote_id
    assert held_reason(variant) == "Held: demo channel, connect your own account to publish"
    assert variant.scheduled_at is not None and variant.scheduled_at <= timezone.now() + timedelta(
        seconds=2
    )


def test_a_demo_channel_cannot_be_resumed(tea):
    owner = _owner(tea)
    x = Channel.objects.get(workspace=tea, network="x")
    with pytest.raises(ValidationError):
        channels.resume_channel(owner, Actor(user=owner.user), x.pk)
    x.refresh_from_db()
    assert x.state == ChannelState.PAUSED


def test_the_channel_list_and_page_show_the_demo_badge(client, tea):
    owner = _owner(tea)
    client.force_login(owner.user)
    page = client.get(f"/w/{tea.slug}/settings/channels/").content.decode()
    assert page.count('<span class="badge" title=') == 3
    x = Channel.objects.get(workspace=tea, network="x")
    detail = client.get(f"/w/{tea.slug}/settings/channels/{x.pk}/").content.decode()
    assert "demo: connect your own account to publish" in detail
    assert "/resume/" not in detail
