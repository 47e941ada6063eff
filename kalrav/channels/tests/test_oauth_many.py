"""One sign-in, many channels (connectors.account.OAuthConnectMany): the callback keeps what the
network listed and asks which accounts become channels; one already connected is renewed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from kalrav.channels import credentials as sealed
from kalrav.channels.models import Channel, ChannelState
from kalrav.channels.oauth_views import PICK_KEY
from kalrav.channels.tests.test_channels import FakeConnector
from kalrav.connectors import registry
from kalrav.connectors.account import Connection
from kalrav.connectors.base import Author
from kalrav.connectors.errors import Rejected

EXPIRES = datetime(2027, 2, 5, 8, 0, tzinfo=UTC)


class FakeManyConnector(FakeConnector):
    slug = "fakemany"
    label = "Fakepages"
    settings_fields = ()

    @classmethod
    def oauth_start(cls, server_url, *, redirect_uri, state):
        return f"https://pages.example.test/dialog?state={state}", {"redirect_uri": redirect_uri}

    @classmethod
    def oauth_finish(cls, kept, code):
        return cls.oauth_finish_many(kept, code)[0]

    @classmethod
    def oauth_finish_many(cls, kept, code):
        if code != "good-code":
            raise Rejected("invalid code")
        return [
            Connection(
                config={"page_id": str(n)},
                credentials={"page_token": f"token-{n}"},
                account=Author(
                    remote_id=str(n),
                    display_name=name,
                    avatar_url=f"https://cdn.example.test/{n}.jpg",
                ),
                expires_at=EXPIRES,
            )
            for n, name in ((101, "Chai Corner"), (102, "চা ঘর"), (103, "Τσάι"))
        ]


@pytest.fixture
def many_network():
    registry.reset({**registry.CONNECTORS, "fakemany": f"{__name__}.FakeManyConnector"})
    yield FakeManyConnector
    registry.reset()


def _signed_in(client, workspace, code="good-code"):
    started = client.post(f"/w/{workspace.slug}/settings/channels/connect/fakemany/sign-in/")
    state = parse_qs(urlsplit(started["Location"]).query)["state"][0]
    return client.get("/channels/oauth/callback/", {"state": state, "code": code})


def test_sign_in_offers_every_account_and_connects_the_ticked_ones(
    client, members, workspace, many_network
):
    client.force_login(members["manager"].user)
    back = _signed_in(client, workspace)
    assert back.status_code == 302 and "/settings/channels/sign-in/" in back["Location"]
    assert not Channel.objects.exists()  # nothing until the person picks
    # the session holds the tokens sealed, never in the clear
    assert "token-101" not in str(client.session[PICK_KEY])
    page = client.get(back["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert "Chai Corner" in html and "চা ঘর" in html and "https://cdn.example.test/102.jpg" in html
    done = client.post(back["Location"], {"account": ["101", "103"]})
    assert done.status_code == 302
    channels = Channel.objects.filter(workspace=workspace).order_by("remote_id")
    assert [c.remote_id for c in channels] == ["101", "103"]
    assert all(c.state == ChannelState.ACTIVE for c in channels)
    assert sealed.unseal(channels[0].credentials) == {"page_token": "token-101"}
    assert channels[0].credentials_expire_at == EXPIRES
    assert channels[0].created_by == members["manager"].user
    # the choice works once
    again = client.post(back["Location"], {"account": ["102"]})
    assert again.status_code == 302
    assert Channel.objects.count() == 2


def test_an_account_already_connected_is_marked_and_renewed(
    client, members, workspace, many_network
):
    old = Channel.objects.create(
        workspace=workspace,
        network="fakemany",
        name="Chai Corner",
        remote_id="101",
        state=ChannelState.NEEDS_RECONNECT,
        credentials=sealed.seal({"page_token": "old"}),
        credentials_expire_at=EXPIRES - timedelta(days=55),
        expiry_notices=["7:x"],
    )
    client.force_login(members["manager"].user)
    back = _signed_in(client, workspace)
    html = client.get(back["Location"]).content.decode()
    assert "already connected" in html
    client.post(back["Location"], {"account": ["101"]})
    old.refresh_from_db()
    assert Channel.objects.count() == 1
    assert old.state == ChannelState.ACTIVE
    assert sealed.unseal(old.credentials) == {"page_token": "token-101"}
    assert old.credentials_expire_at == EXPIRES and old.expiry_notices == []


def test_a_refused_code_connects_nothing(client, members, workspace, many_network):
    client.force_login(members["manager"].user)
    refused = _signed_in(client, workspace, code="stolen")
    assert refused.status_code == 400 and "invalid code" in refused.content.decode()
    assert not Channel.objects.exists()


def test_another_workspace_cannot_use_the_choice(client, members, workspace, many_network):
    from kalrav.workspaces import services as workspaces
    from kalrav.workspaces.audit import Actor

    client.force_login(members["owner"].user)
    back = _signed_in(client, workspace)
    pick = back["Location"].rstrip("/").rsplit("/", 1)[-1]
    other = workspaces.create_workspace(
        members["owner"].user, Actor(user=members["owner"].user), name="Other"
    )
    stolen = client.post(f"/w/{other.slug}/settings/channels/sign-in/{pick}/", {"account": ["101"]})
    assert stolen.status_code == 302
    assert not Channel.objects.exists()
