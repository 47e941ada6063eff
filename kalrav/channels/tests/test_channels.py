from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command

from kalrav import crypto
from kalrav.channels import credentials as sealed
from kalrav.channels import services
from kalrav.channels.models import Channel, ChannelState
from kalrav.connectors import registry
from kalrav.connectors.account import AccountInfo, RenewedCredentials
from kalrav.connectors.base import SettingsField
from kalrav.connectors.errors import AuthExpired, RateLimited, Rejected, Transient
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import AuditEntry

SECRET = "app-pass-1234-abcd"


class FakeConnector:
    """A network whose account check answers what the test says (see `outcome`)."""

    slug = "fake"
    label = "Fakebook"
    rules = registry.get("bluesky").rules
    capabilities: tuple[type, ...] = ()
    settings_fields = (
        SettingsField("service_url", "Server", kind="url"),
        SettingsField("handle", "Handle"),
        SettingsField("app_password", "Password", secret=True, kind="password"),
        SettingsField("refresh_token", "Refresh", secret=True, required=False),
    )
    outcome: object = None
    renewed: dict = {}

    def __init__(self, context):
        self.context = context

    def verify(self) -> AccountInfo:
        if isinstance(FakeConnector.outcome, Exception):
            raise FakeConnector.outcome
        assert self.context.credentials["app_password"] == SECRET
        return AccountInfo(remote_id="did:plc:abc", handle="@" + self.context.config["handle"])

    def refresh(self) -> RenewedCredentials:
        return RenewedCredentials(FakeConnector.renewed)


def _connected(member, django_capture_on_commit_callbacks) -> Channel:
    with django_capture_on_commit_callbacks(execute=True):
        channel = services.connect_channel(
            member,
            Actor(),
            network="fake",
            name="Brand",
            values={"service_url": "https://x.test", "handle": "b", "app_password": SECRET},
        )
    channel.refresh_from_db()
    return channel


@pytest.fixture
def fake_network():
    registry.reset({**registry.CONNECTORS, "fake": f"{__name__}.FakeConnector"})
    FakeConnector.outcome = None
    yield FakeConnector
    registry.reset()


def _connect(client, workspace, **values):
    data = {
        "name": "",
        "service_url": "https://pds.example.test",
        "handle": "brand.example.test",
        "app_password": SECRET,
        **values,
    }
    return client.post(f"/w/{workspace.slug}/settings/channels/connect/fake/", data)


def test_connect_stores_the_secret_encrypted_and_checks_the_account(
    client, members, workspace, fake_network, django_capture_on_commit_callbacks
):
    client.force_login(members["manager"].user)
    with django_capture_on_commit_callbacks(execute=True):
        response = _connect(client, workspace)
    assert response.status_code == 302
    channel = Channel.objects.get(workspace=workspace)
    assert SECRET not in channel.credentials
    assert sealed.unseal(channel.credentials) == {"app_password": SECRET}
    assert channel.config == {
        "service_url": "https://pds.example.test",
        "handle": "brand.example.test",
    }
    assert channel.state == ChannelState.ACTIVE
    assert channel.handle == "@brand.example.test"
    assert channel.last_success_at is not None
    page = client.get(f"/w/{workspace.slug}/settings/channels/{channel.pk}/").content.decode()
    assert SECRET not in page, "a secret is never shown back"
    entry = AuditEntry.objects.get(action="channel.connect")
    assert SECRET not in str(entry.changes)


def test_bad_input_is_refused_and_nothing_is_saved(client, members, workspace, fake_network):
    client.force_login(members["owner"].user)
    response = _connect(client, workspace, service_url="not a url", app_password="")
    assert response.status_code == 400
    body = response.content.decode()
    assert "Enter a full address starting with https://" in body
    assert "This field is required." in body
    assert not Channel.objects.exists()


@pytest.mark.parametrize(
    ("error", "state", "detail"),
    [
        (AuthExpired("Token has expired"), ChannelState.NEEDS_RECONNECT, "Token has expired"),
        (RateLimited("Slow down", retry_after=120), ChannelState.RATE_LIMITED, "Slow down"),
        (Rejected("Account suspended"), ChannelState.FAILING, "Account suspended"),
        (Transient("502 Bad Gateway"), ChannelState.FAILING, "502 Bad Gateway"),
    ],
)
def test_errors_become_visible_states_with_the_networks_words(
    members, workspace, fake_network, error, state, detail, django_capture_on_commit_callbacks
):
    fake_network.outcome = error
    with django_capture_on_commit_callbacks(execute=True):
        channel = services.connect_channel(
            members["owner"],
            Actor(),
            network="fake",
            name="Brand",
            values={"service_url": "https://x.test", "handle": "b", "app_password": SECRET},
        )
    channel.refresh_from_db()
    assert channel.state == state
    assert channel.state_detail == detail
    assert channel.last_error == detail
    if state == ChannelState.RATE_LIMITED:
        assert channel.rate_limited_until is not None
        assert not channel.can_work


def test_reconnect_keeps_a_secret_left_empty(
    client, members, workspace, fake_network, django_capture_on_commit_callbacks
):
    fake_network.outcome = AuthExpired("expired")
    with django_capture_on_commit_callbacks(execute=True):
        channel = services.connect_channel(
            members["owner"],
            Actor(),
            network="fake",
            name="Brand",
            values={"service_url": "https://x.test", "handle": "b", "app_password": SECRET},
        )
    fake_network.outcome = None
    client.force_login(members["owner"].user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/w/{workspace.slug}/settings/channels/{channel.pk}/",
            {"service_url": "https://x.test", "handle": "b", "app_password": ""},
        )
    assert response.status_code == 302
    channel.refresh_from_db()
    assert channel.state == ChannelState.ACTIVE
    assert sealed.unseal(channel.credentials)["app_password"] == SECRET


def test_refresh_never_loses_the_refresh_token(members, workspace, fake_network):
    channel = Channel.objects.create(
        workspace=workspace,
        network="fake",
        name="B",
        credentials=sealed.seal({"app_password": "old-access", "refresh_token": "keep-me"}),
    )
    fake_network.renewed = {"app_password": "new-access"}
    services.renew_credentials(channel.pk)
    channel.refresh_from_db()
    assert sealed.unseal(channel.credentials) == {
        "app_password": "new-access",
        "refresh_token": "keep-me",
    }
    assert channel.credentials_renewed_at is not None


def test_pause_resume_remove(
    client, members, workspace, fake_network, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        channel = services.connect_channel(
            members["owner"],
            Actor(),
            network="fake",
            name="Brand",
            values={"service_url": "https://x.test", "handle": "b", "app_password": SECRET},
        )
    client.force_login(members["manager"].user)
    base = f"/w/{workspace.slug}/settings/channels/{channel.pk}"
    client.post(f"{base}/pause/")
    channel.refresh_from_db()
    assert channel.state == ChannelState.PAUSED
    services.record_failure(channel.pk, Transient("boom"))
    channel.refresh_from_db()
    assert channel.state == ChannelState.PAUSED, "a paused channel stays paused"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{base}/resume/")
    channel.refresh_from_db()
    assert channel.state == ChannelState.ACTIVE
    client.post(f"{base}/remove/")
    assert not Channel.objects.exists()
    assert {"channel.pause", "channel.resume", "channel.remove"} <= set(
        AuditEntry.objects.values_list("action", flat=True)
    )


class SilentConnector:
    """A network Kalrav cannot ask who the credentials belong to."""

    slug = "silent"
    label = "Silent"
    rules = FakeConnector.rules
    capabilities: tuple[type, ...] = ()
    settings_fields = FakeConnector.settings_fields

    def __init__(self, context):
        self.context = context


def test_a_network_without_an_account_check_says_so(
    members, workspace, django_capture_on_commit_callbacks
):
    registry.reset({**registry.CONNECTORS, "silent": f"{__name__}.SilentConnector"})
    values = {"service_url": "https://x.test", "handle": "b", "app_password": SECRET}
    with django_capture_on_commit_callbacks(execute=True):
        channel = services.connect_channel(
            members["owner"], Actor(), network="silent", name="News", values=values
        )
    registry.reset()
    channel.refresh_from_db()
    assert channel.state == ChannelState.UNVERIFIED
    assert "cannot check" in channel.state_detail


def test_rotate_keys_reencrypts_with_the_new_key(members, workspace, settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.ENCRYPTION_KEYS = [old]
    crypto.reset_keys_cache()
    channel = Channel.objects.create(
        workspace=workspace,
        network="bluesky",
        name="B",
        credentials=sealed.seal({"app_password": SECRET}),
    )
    settings.ENCRYPTION_KEYS = [new, old]
    crypto.reset_keys_cache()
    call_command("rotate-keys")
    settings.ENCRYPTION_KEYS = [new]
    crypto.reset_keys_cache()
    channel.refresh_from_db()
    assert sealed.unseal(channel.credentials) == {"app_password": SECRET}
    crypto.reset_keys_cache()
