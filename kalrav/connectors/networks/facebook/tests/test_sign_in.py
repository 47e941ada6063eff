"""Connecting Facebook Pages through Kalrav's pages: one sign-in on the (fake) Facebook, the
person ticks which Pages become channels, each keeps its own Page token (sealed) and the user
token's expiry, and the check that follows subscribes the Page to the app's webhook."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from django.test import override_settings
from django.utils import timezone

from kalrav.channels import credentials as sealed
from kalrav.channels.models import Channel, ChannelState
from kalrav.connectors.networks.facebook.tests.fake import FakeGraph


@override_settings(ALLOW_PRIVATE_ADDRESSES=True)  # the fake answers for Facebook, not DNS
def test_one_sign_in_connects_the_ticked_pages(
    client, members, workspace, fake: FakeGraph, django_capture_on_commit_callbacks
):
    client.force_login(members["manager"].user)
    page = client.get(f"/w/{workspace.slug}/settings/channels/connect/facebook/").content.decode()
    assert "Sign in with Facebook" in page and "Or paste" not in page
    started = client.post(f"/w/{workspace.slug}/settings/channels/connect/facebook/sign-in/")
    dialog = urlsplit(started["Location"])
    assert dialog.netloc == "www.facebook.com" and dialog.path == "/v23.0/dialog/oauth"
    query = parse_qs(dialog.query)
    back = client.get(
        "/channels/oauth/callback/", {"state": query["state"][0], "code": "good-code"}
    )
    assert back.status_code == 302
    offered = client.get(back["Location"]).content.decode()
    assert "Chai Corner" in offered and "চা ঘর" in offered
    with django_capture_on_commit_callbacks(execute=True):
        client.post(back["Location"], {"account": ["104000000000001"]})
    channel = Channel.objects.get(workspace=workspace)
    assert (channel.network, channel.remote_id, channel.name) == (
        "facebook",
        "104000000000001",
        "chaicorner",
    )
    assert sealed.unseal(channel.credentials) == {"page_token": "EAApage1"}
    left = channel.credentials_expire_at - timezone.now()
    assert timedelta(days=59) < left < timedelta(days=61)
    assert channel.state == ChannelState.ACTIVE
    assert fake.subscribed == ["feed,messages"]  # the check subscribed the Page
    detail = client.get(f"/w/{workspace.slug}/settings/channels/{channel.pk}/").content.decode()
    assert 'id="access-ends"' in detail
