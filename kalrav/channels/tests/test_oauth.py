from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from kalrav.channels import credentials as sealed
from kalrav.channels import services
from kalrav.channels.models import Channel, ChannelState
from kalrav.channels.tests.test_channels import SECRET, FakeConnector
from kalrav.connectors import registry
from kalrav.connectors.account import Connection
from kalrav.connectors.base import Author
from kalrav.connectors.errors import Rejected
from kalrav.workspaces.audit import Actor


class FakeOAuthConnector(FakeConnector):
    """A network with a sign-in page: the authorization server is simulated by the test."""

    slug = "fakeoauth"
    started: list[tuple[str, str, str]] = []

    @classmethod
    def oauth_start(cls, server_url, *, redirect_uri, state):
        cls.started.append((server_url, redirect_uri, state))
        return f"{server_url}/oauth/authorize?state={state}", {
            "client_id": "abc",
            "client_secret": "shh",
        }

    @classmethod
    def oauth_finish(cls, kept, code):
        if code != "good-code" or kept["client_secret"] != "shh":
            raise Rejected("invalid_grant: the code is not valid")
        return Connection(
            config={
                "service_url": "https://social.example.test",
                "instance": {"max_characters": 1000},
            },
            credentials={"app_password": SECRET},
            account=Author(
                remote_id="109", handle="@brand@social.example.test", display_name="Brand"
            ),
        )

    def read_config(self):
        return {"instance": {"max_characters": 777}}


@pytest.fixture
def oauth_network():
    registry.reset({**registry.CONNECTORS, "fakeoauth": f"{__name__}.FakeOAuthConnector"})
    FakeOAuthConnector.started = []
    FakeConnector.outcome = None
    yield FakeOAuthConnector
    registry.reset()


def _start(client, workspace, server="https://social.example.test"):
    return client.post(
        f"/w/{workspace.slug}/settings/channels/connect/fakeoauth/sign-in/", {"server": server}
    )


def test_sign_in_flow_connects_an_active_channel(
    client, members, workspace, oauth_network, settings
):
    client.force_login(members["manager"].user)
    assert (
        "Sign in and connect"
        in client.get(f"/w/{workspace.slug}/settings/channels/connect/fakeoauth/").content.decode()
    )
    response = _start(client, workspace)
    assert response.status_code == 302
    state = parse_qs(urlsplit(response["Location"]).query)["state"][0]
    assert oauth_network.started == [
        ("https://social.example.test", f"{settings.BASE_URL}/channels/oauth/callback/", state)
    ]
    back = client.get("/channels/oauth/callback/", {"state": state, "code": "good-code"})
    assert back.status_code == 302
    channel = Channel.objects.get(workspace=workspace)
    assert channel.state == ChannelState.ACTIVE
    assert channel.handle == "@brand@social.example.test"
    assert sealed.unseal(channel.credentials) == {"app_password": SECRET}
    # The state works once.
    assert (
        client.get("/channels/oauth/callback/", {"state": state, "code": "good-code"}).status_code
        == 400
    )
    assert Channel.objects.count() == 1


def test_a_refused_code_or_denied_access_connects_nothing(
    client, members, workspace, oauth_network
):
    client.force_login(members["manager"].user)
    state = parse_qs(urlsplit(_start(client, workspace)["Location"]).query)["state"][0]
    refused = client.get("/channels/oauth/callback/", {"state": state, "code": "stolen"})
    assert refused.status_code == 400
    assert "invalid_grant" in refused.content.decode()
    state = parse_qs(urlsplit(_start(client, workspace)["Location"]).query)["state"][0]
    denied = client.get("/channels/oauth/callback/", {"state": state, "error": "access_denied"})
    assert denied.status_code == 400
    assert not Channel.objects.exists()


def test_a_state_from_another_session_is_refused(client, members, workspace, oauth_network):
    client.force_login(members["manager"].user)
    state = parse_qs(urlsplit(_start(client, workspace)["Location"]).query)["state"][0]
    client.logout()
    client.force_login(members["owner"].user)
    assert (
        client.get("/channels/oauth/callback/", {"state": state, "code": "good-code"}).status_code
        == 400
    )
    assert not Channel.objects.exists()


def test_a_bad_server_address_is_refused_before_anything_is_sent(
    client, members, workspace, oauth_network
):
    client.force_login(members["manager"].user)
    response = _start(client, workspace, server="not a url")
    assert response.status_code == 302
    assert oauth_network.started == []


def test_checking_a_channel_keeps_what_the_network_says_about_itself(
    members, workspace, oauth_network, django_capture_on_commit_callbacks
):
    values = {"service_url": "https://x.test", "handle": "b", "app_password": SECRET}
    with django_capture_on_commit_callbacks(execute=True):
        channel = services.connect_channel(
            members["owner"], Actor(), network="fakeoauth", name="B", values=values
        )
    channel.refresh_from_db()
    assert channel.config["instance"] == {"max_characters": 777}
    assert channel.config["handle"] == "b"
