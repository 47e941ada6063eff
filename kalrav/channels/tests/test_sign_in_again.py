"""A channel connected by signing in is reconnected by signing in again ("Sign in again" on its
page): the same network, route and flow, and the callback renews THAT channel (new credentials,
expiry, "needs reconnect" cleared), never adding a second one. The networks' own sign-in steps
are tested in their folders; here they answer as after a completed sign-in."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from kalrav.channels import credentials as sealed
from kalrav.channels.models import Channel, ChannelState
from kalrav.connectors.account import Connection
from kalrav.connectors.base import Author
from kalrav.connectors.errors import Rejected
from kalrav.connectors.networks.facebook.connector import FacebookConnector
from kalrav.connectors.networks.instagram.connector import InstagramConnector
from kalrav.connectors.networks.x.connector import XConnector

pytestmark = pytest.mark.django_db

EXPIRES = datetime(2027, 2, 5, 8, 0, tzinfo=UTC)


def _connection(remote_id: str, handle: str, credentials: dict) -> Connection:
    return Connection(
        config={"user_id": remote_id},
        credentials=credentials,
        account=Author(remote_id=remote_id, handle=handle),
        expires_at=EXPIRES,
    )


@pytest.fixture
def x_signs_in(monkeypatch, settings):
    """X's sign-in as it ends: the code traded for the account that signed in."""
    settings.X_CLIENT_ID = "kalrav-test-app"
    signed_in = {"as": ("2244994945", "chai_corner")}

    def finish(cls, kept, code):
        if code != "good-code" or "verifier" not in kept:
            raise Rejected("invalid code")
        remote_id, handle = signed_in["as"]
        return _connection(remote_id, handle, {"session": f"new-session-of-{handle}"})

    monkeypatch.setattr(XConnector, "oauth_finish", classmethod(finish))
    return signed_in


@pytest.fixture
def facebook_signs_in(monkeypatch, settings):
    """Facebook's sign-in as it ends: every Page the person manages, each with its token."""
    settings.META_APP_ID, settings.META_APP_SECRET = "1234567890", "meta-secret"

    def finish_many(cls, kept, code):
        if code != "good-code":
            raise Rejected("invalid code")
        return [
            Connection(
                config={"page_id": page},
                credentials={"access_token": f"page-token-{page}"},
                account=Author(remote_id=page, display_name=name),
                expires_at=EXPIRES,
            )
            for page, name in (("101", "Chai Corner"), ("102", "Tea Stall"))
        ]

    monkeypatch.setattr(FacebookConnector, "oauth_finish_many", classmethod(finish_many))


def _channel(workspace, network: str, remote_id: str, **fields) -> Channel:
    defaults = {
        "name": "Chai Corner",
        "config": {},
        "credentials": sealed.seal({"session": "old-session"}),
        "state": ChannelState.NEEDS_RECONNECT,
        "state_detail": "The access token was revoked",
        "expiry_notices": ["7:x"],
    }
    return Channel.objects.create(
        workspace=workspace, network=network, remote_id=remote_id, **{**defaults, **fields}
    )


def _sign_in_again(client, workspace, channel: Channel, code: str = "good-code"):
    started = client.post(
        f"/w/{workspace.slug}/settings/channels/connect/{channel.network}/sign-in/",
        {"channel": channel.pk},
    )
    assert started.status_code == 302, started.content
    state = parse_qs(urlsplit(started["Location"]).query)["state"][0]
    return client.get("/channels/oauth/callback/", {"state": state, "code": code})


def test_an_x_channel_page_offers_sign_in_again_and_no_token_field(
    client, members, workspace, x_signs_in
):
    channel = _channel(workspace, "x", "2244994945", config={"user_id": "2244994945"})
    client.force_login(members["manager"].user)
    html = client.get(f"/w/{workspace.slug}/settings/channels/{channel.pk}/").content.decode()
    assert "Sign in again" in html and f'name="channel" value="{channel.pk}"' in html
    assert "refresh token" not in html and 'name="refresh_token"' not in html
    # and a pasted token cannot be posted to it instead
    client.post(f"/w/{workspace.slug}/settings/channels/{channel.pk}/", {"refresh_token": "x"})
    assert sealed.unseal(Channel.objects.get(pk=channel.pk).credentials) == {
        "session": "old-session"
    }


def test_signing_in_again_renews_the_same_x_channel(client, members, workspace, x_signs_in):
    channel = _channel(workspace, "x", "2244994945", config={"user_id": "2244994945"})
    client.force_login(members["manager"].user)
    back = _sign_in_again(client, workspace, channel)
    assert back.status_code == 302
    assert back["Location"] == f"/w/{workspace.slug}/settings/channels/{channel.pk}/"
    assert Channel.objects.count() == 1
    channel.refresh_from_db()
    assert channel.state == ChannelState.ACTIVE and channel.state_detail == ""
    assert sealed.unseal(channel.credentials) == {"session": "new-session-of-chai_corner"}
    assert channel.credentials_expire_at == EXPIRES and channel.expiry_notices == []


def test_signing_in_as_another_account_changes_nothing(client, members, workspace, x_signs_in):
    channel = _channel(workspace, "x", "2244994945", config={"user_id": "2244994945"})
    x_signs_in["as"] = ("783214", "someone_else")
    client.force_login(members["manager"].user)
    refused = _sign_in_again(client, workspace, channel)
    assert refused.status_code == 400 and "someone_else" in refused.content.decode()
    assert Channel.objects.count() == 1
    channel.refresh_from_db()
    assert channel.state == ChannelState.NEEDS_RECONNECT
    assert sealed.unseal(channel.credentials) == {"session": "old-session"}


def test_signing_in_again_renews_the_same_facebook_page(
    client, members, workspace, facebook_signs_in
):
    channel = _channel(
        workspace,
        "facebook",
        "102",
        name="Tea Stall",
        config={"page_id": "102"},
        credentials=sealed.seal({"access_token": "old"}),
    )
    client.force_login(members["manager"].user)
    back = _sign_in_again(client, workspace, channel)
    # straight back to the channel: no list of Pages to pick from, no second channel
    assert back["Location"] == f"/w/{workspace.slug}/settings/channels/{channel.pk}/"
    assert list(Channel.objects.values_list("remote_id", flat=True)) == ["102"]
    channel.refresh_from_db()
    assert channel.state == ChannelState.ACTIVE
    assert sealed.unseal(channel.credentials) == {"access_token": "page-token-102"}


def test_a_refused_sign_in_leaves_the_channel_as_it_was(client, members, workspace, x_signs_in):
    channel = _channel(workspace, "x", "2244994945")
    client.force_login(members["manager"].user)
    refused = _sign_in_again(client, workspace, channel, code="stolen")
    assert refused.status_code == 400 and "invalid code" in refused.content.decode()
    channel.refresh_from_db()
    assert channel.state == ChannelState.NEEDS_RECONNECT


def test_demo_and_pasted_networks_show_no_sign_in(client, members, workspace):
    demo = _channel(workspace, "x", "1", config={"demo": True}, state=ChannelState.PAUSED)
    bluesky = _channel(workspace, "bluesky", "did:plc:abc", config={"handle": "a.example.com"})
    client.force_login(members["manager"].user)
    page = client.get(f"/w/{workspace.slug}/settings/channels/{demo.pk}/").content.decode()
    assert "Sign in again" not in page and "Reconnect" not in page
    started = client.post(
        f"/w/{workspace.slug}/settings/channels/connect/x/sign-in/", {"channel": demo.pk}
    )
    assert started.status_code == 404
    page = client.get(f"/w/{workspace.slug}/settings/channels/{bluesky.pk}/").content.decode()
    assert 'name="channel"' not in page and "Save and check again" in page


def test_a_channel_of_another_workspace_cannot_be_signed_in_to(
    client, members, workspace, x_signs_in
):
    from kalrav.workspaces import services as workspaces
    from kalrav.workspaces.audit import Actor

    owner = members["owner"].user
    other = workspaces.create_workspace(owner, Actor(user=owner), name="Other")
    theirs = _channel(other, "x", "2244994945")
    client.force_login(owner)
    started = client.post(
        f"/w/{workspace.slug}/settings/channels/connect/x/sign-in/", {"channel": theirs.pk}
    )
    assert started.status_code == 404


# --- Instagram: two ways in ----------------------------------------------------------------------


def test_instagram_offers_facebook_and_instagram_sign_in(client, members, workspace, settings):
    settings.META_APP_ID, settings.META_APP_SECRET = "1234567890", "meta-secret"
    settings.INSTAGRAM_APP_ID, settings.INSTAGRAM_APP_SECRET = "990602627938098", "ig-secret"
    client.force_login(members["manager"].user)
    url = f"/w/{workspace.slug}/settings/channels/connect/instagram/"
    html = client.get(url).content.decode()
    assert "Continue with Facebook" in html and "Continue with Instagram" in html
    to_instagram = client.post(url + "sign-in/", {"route": "instagram"})
    assert urlsplit(to_instagram["Location"]).netloc == "www.instagram.com"
    to_facebook = client.post(url + "sign-in/", {"route": "facebook"})
    assert "facebook.com" in urlsplit(to_facebook["Location"]).netloc
    unknown = client.post(url + "sign-in/", {"route": "myspace"}, follow=True)
    assert "no such sign-in" in unknown.content.decode()


def test_an_instagram_login_channel_signs_in_again_with_instagram(
    client, members, workspace, settings, monkeypatch
):
    settings.INSTAGRAM_APP_ID, settings.INSTAGRAM_APP_SECRET = "990602627938098", "ig-secret"
    channel = _channel(workspace, "instagram", "17841400008460056", config={"login": "instagram"})
    seen = {}

    def finish_many(cls, kept, code):
        seen.update(kept)
        return [
            _connection("17841400008460056", "kalrav_chai", {"session": "fresh"}),
        ]

    monkeypatch.setattr(InstagramConnector, "oauth_finish_many", classmethod(finish_many))
    client.force_login(members["manager"].user)
    started = client.post(
        f"/w/{workspace.slug}/settings/channels/connect/instagram/sign-in/",
        {"channel": channel.pk, "route": "facebook"},  # the channel's own route wins
    )
    assert urlsplit(started["Location"]).netloc == "www.instagram.com"
    state = parse_qs(urlsplit(started["Location"]).query)["state"][0]
    client.get("/channels/oauth/callback/", {"state": state, "code": "c"})
    assert seen["login"] == "instagram"
    channel.refresh_from_db()
    assert channel.state == ChannelState.ACTIVE and Channel.objects.count() == 1
    assert channel.config["login"] == "instagram"


def test_a_mastodon_channel_signs_in_again_on_its_own_server(client, members, workspace):
    signed_in = _channel(
        workspace, "mastodon", "1", config={"instance_url": "https://social.example"}
    )
    client.force_login(members["manager"].user)
    page = client.get(f"/w/{workspace.slug}/settings/channels/{signed_in.pk}/").content.decode()
    assert f'name="channel" value="{signed_in.pk}"' in page
    assert 'name="access_token"' not in page


def test_a_new_sign_in_wins_over_a_session_this_process_renewed_before(workspace):
    from kalrav.channels import sessions as channel_sessions

    channel_sessions._latest.clear()
    channel = _channel(workspace, "x", "1", credentials=sealed.seal({"session": "s1"}))
    channel_sessions.ChannelSessions(channel.pk, "s1").renew(
        lambda kept: True, lambda kept: ("s2", None)
    )
    # a row read before that renewal starts from the renewed session...
    assert channel_sessions.ChannelSessions(channel.pk, "s1").kept() == "s2"
    # ...but a row holding a sign-in made since is taken as it is
    assert channel_sessions.ChannelSessions(channel.pk, "signed-in-again").kept() == (
        "signed-in-again"
    )
    channel_sessions._latest.clear()
