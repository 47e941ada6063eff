"""Instagram Login (login.py): the sign-in ladder against a fake Instagram answering with the
recorded pages in fixtures/login_*.json, and the 60-day token kept fresh through the channel's
session keeper: stored before use, kept when a refresh fails, refreshed once when two workers try
at the same time, and an expired one turning the channel to "needs reconnect"."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import respx
from django.db import connection as db_connection
from django.test import override_settings
from django.utils import timezone

from kalrav.channels import credentials as sealed
from kalrav.channels import refreshing, services
from kalrav.channels import sessions as channel_sessions
from kalrav.channels.models import Channel, ChannelState
from kalrav.connectors.base import opened
from kalrav.connectors.errors import AuthExpired, Rejected, Transient
from kalrav.connectors.networks.facebook.webhooks import signature
from kalrav.connectors.networks.instagram import login
from kalrav.connectors.networks.instagram.connector import InstagramConnector
from kalrav.connectors.networks.instagram.tests.fake import FIXTURES, OWN_ID
from kalrav.connectors.sessions import KeptInMemory
from kalrav.connectors.testing import recorded

DAY = 24 * 3600.0
IG_APP_ID = "990602627938098"
IG_SECRET = "instagram-app-secret-for-tests"


def _answer(name: str) -> httpx.Response:
    found = recorded(FIXTURES, name)
    return httpx.Response(found.status or 200, json=found.body)


class FakeInstagramLogin:
    """api.instagram.com's code exchange and graph.instagram.com's token and /me endpoints, as
    strict as Meta: a code works once, a token younger than 24 hours or expired cannot be
    refreshed, and a refreshed token replaces the old one (which Meta keeps honouring until it
    ends; the fake does too)."""

    def __init__(self, router: respx.MockRouter, clock) -> None:
        self.clock = clock
        self.codes = {"good-code"}
        self.issued: dict[str, float] = {}  # token -> when issued
        self.refreshes = 0
        self.refuse_refresh: httpx.Response | None = None
        self.delay = 0.0
        self.exchange = router.post(login.TOKEN_URL).mock(side_effect=self._code)
        router.get(f"{login.API_URL}/access_token").mock(side_effect=self._long)
        router.get(f"{login.API_URL}/refresh_access_token").mock(side_effect=self._refresh)
        self.me = router.get(url__regex=rf"{login.API_URL}/v[\d.]+/me\?.*").mock(
            side_effect=self._me
        )
        router.post(url__regex=rf"{login.API_URL}/v[\d.]+/me/subscribed_apps.*").mock(
            return_value=httpx.Response(200, json={"success": True})
        )

    def _code(self, request: httpx.Request) -> httpx.Response:
        form = parse_qs(request.content.decode())
        assert form["client_id"] == [IG_APP_ID] and form["client_secret"] == [IG_SECRET]
        assert form["grant_type"] == ["authorization_code"]
        code = form["code"][0]
        if code not in self.codes:
            return _answer("login_code_refused")
        self.codes.discard(code)
        return _answer("login_code_exchanged")

    def _long(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        assert params["grant_type"] == "ig_exchange_token" and params["client_secret"] == IG_SECRET
        assert params["access_token"] == "IGAAshort-lived-token"
        answer = _answer("login_long_lived")
        self.issued[answer.json()["access_token"]] = self.clock()
        return answer

    def _refresh(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        assert params["grant_type"] == "ig_refresh_token"
        if self.delay:
            time.sleep(self.delay)  # a slow Meta, so two refreshers overlap
        if self.refuse_refresh is not None:
            return self.refuse_refresh
        issued = self.issued.get(params["access_token"])
        if issued is None or self.clock() - issued < DAY:
            return httpx.Response(400, json=recorded(FIXTURES, "error_refused").body)
        self.refreshes += 1
        answer = _answer("login_refreshed")
        self.issued[answer.json()["access_token"]] = self.clock()
        return answer

    def _me(self, request: httpx.Request) -> httpx.Response:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self.issued:
            return _answer("error_401")
        return _answer("login_me")


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def instagram(meta_app: None, clock: Clock, monkeypatch) -> Iterator[FakeInstagramLogin]:
    # The hosts are answered by the fake; the address guard is tested in connectors/tests.
    monkeypatch.setattr("kalrav.connectors.http.check_url", lambda *args, **kwargs: None)
    with (
        override_settings(INSTAGRAM_APP_ID=IG_APP_ID, INSTAGRAM_APP_SECRET=IG_SECRET),
        respx.mock(assert_all_called=False) as router,
    ):
        yield FakeInstagramLogin(router, clock)


# --- Signing in ----------------------------------------------------------------------------------


def test_the_sign_in_page_is_instagrams_with_the_business_scopes(instagram):
    url, kept = InstagramConnector.oauth_start_route(
        "instagram", redirect_uri="https://kalrav.example.org/cb", state="s1"
    )
    target = urlsplit(url)
    query = parse_qs(target.query)
    assert f"{target.scheme}://{target.netloc}{target.path}" == login.AUTHORIZE_URL
    assert query["client_id"] == [IG_APP_ID] and query["response_type"] == ["code"]
    assert query["scope"][0].split(",") == list(login.SCOPES)
    assert query["state"] == ["s1"] and kept["login"] == "instagram"
    # the other route is Facebook's dialog
    facebook, kept_fb = InstagramConnector.oauth_start_route(
        "facebook", redirect_uri="https://kalrav.example.org/cb", state="s2"
    )
    assert "facebook.com" in facebook and "login" not in kept_fb


def test_a_code_becomes_a_long_lived_token_kept_as_the_session(instagram, clock):
    kept = {"redirect_uri": "https://kalrav.example.org/cb", "login": "instagram"}
    [connection] = InstagramConnector.oauth_finish_many(kept, "good-code#_")
    assert connection.account.remote_id == OWN_ID  # user_id, not the app-scoped id
    assert connection.account.handle == "kalrav_chai"
    assert connection.config == {"ig_user_id": OWN_ID, "page_id": "", "login": "instagram"}
    token = login.Token.decode(connection.credentials["session"])
    assert token is not None and token.access_token == "IGAAlong-lived-token-1"
    assert connection.expires_at is not None
    assert abs((connection.expires_at - datetime.now(UTC)).total_seconds() - 5183944) < 60
    asked = instagram.me.calls.last.request.url.params["fields"].split(",")
    assert asked == list(login.ME_FIELDS)


def test_a_used_code_is_refused_in_instagrams_words(instagram):
    kept = {"redirect_uri": "https://kalrav.example.org/cb", "login": "instagram"}
    InstagramConnector.oauth_finish_many(kept, "good-code")
    with pytest.raises(AuthExpired, match="verification code"):
        InstagramConnector.oauth_finish_many(kept, "good-code")


def test_without_the_instagram_app_the_operator_is_told_what_to_set(meta_app):
    with (
        override_settings(INSTAGRAM_APP_ID="", INSTAGRAM_APP_SECRET=""),
        pytest.raises(Rejected, match="KALRAV_INSTAGRAM_APP_ID"),
    ):
        InstagramConnector.oauth_start_route("instagram", redirect_uri="x", state="s")


def test_field_names_are_metas(meta_app):
    """The token answers' fields are IGAccessTokenForIGOnlyAPI's, and /me's those IGUser has
    (user_id and account_type are Instagram Login's own, from its get-started page)."""
    pytest.importorskip("facebook_business", reason="pip install facebook-business (dev)")
    from facebook_business.adobjects.igaccesstokenforigonlyapi import IGAccessTokenForIGOnlyAPI
    from facebook_business.adobjects.iguser import IGUser

    token_fields = {v for k, v in vars(IGAccessTokenForIGOnlyAPI.Field).items() if k[0] != "_"}
    for name in ("login_long_lived", "login_refreshed"):
        assert set(recorded(FIXTURES, name).body) <= token_fields
    user_fields = {v for k, v in vars(IGUser.Field).items() if k[0] != "_"}
    assert set(login.ME_FIELDS) - user_fields == {"user_id", "account_type"}
    assert set(login.ME_FIELDS) <= set(recorded(FIXTURES, "login_me").body)


# --- Keeping the token (connector level, a keeper in memory) ------------------------------------


def _token(issued_days_ago: float, ends_in_days: float, clock: Clock, value: str) -> str:
    return login.Token(
        value, clock() - issued_days_ago * DAY, clock() + ends_in_days * DAY
    ).encode()


def test_a_token_is_refreshed_only_when_due_and_old_enough(instagram, clock):
    instagram.issued["IGAAlong-lived-token-1"] = clock() - 50 * DAY
    fresh = KeptInMemory(_token(1, 55, clock, "IGAAlong-lived-token-1"))
    assert login.refresh(fresh, clock=clock).access_token == "IGAAlong-lived-token-1"
    assert instagram.refreshes == 0  # 55 days left: not due
    due = KeptInMemory(_token(50, 9, clock, "IGAAlong-lived-token-1"))
    renewed = login.refresh(due, clock=clock)
    assert instagram.refreshes == 1 and renewed.access_token == "IGAAlong-lived-token-2"
    assert login.Token.decode(due.kept()).access_token == "IGAAlong-lived-token-2"
    young = KeptInMemory(_token(0.5, 5, clock, "IGAAlong-lived-token-1"))
    login.refresh(young, clock=clock)
    assert instagram.refreshes == 1  # under 24 hours old: Meta would refuse


def test_a_failed_refresh_keeps_the_old_token(instagram, clock):
    instagram.issued["IGAAlong-lived-token-1"] = clock() - 50 * DAY
    keeper = KeptInMemory(_token(50, 9, clock, "IGAAlong-lived-token-1"))
    instagram.refuse_refresh = httpx.Response(500, json={"error": {"code": 2, "message": "x"}})
    with pytest.raises(Transient):
        login.refresh(keeper, clock=clock)
    assert login.Token.decode(keeper.kept()).access_token == "IGAAlong-lived-token-1"


# --- Through a channel --------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _fresh_process():
    channel_sessions._latest.clear()
    yield
    channel_sessions._latest.clear()


def _channel(workspace, clock: Clock, *, issued_days_ago=50, ends_in_days=9) -> Channel:
    return Channel.objects.create(
        workspace=workspace,
        network="instagram",
        name="kalrav_chai",
        config={"ig_user_id": OWN_ID, "login": "instagram"},
        credentials=sealed.seal(
            {"session": _token(issued_days_ago, ends_in_days, clock, "IGAAlong-lived-token-1")}
        ),
        remote_id=OWN_ID,
        state=ChannelState.ACTIVE,
        credentials_expire_at=timezone.now() + timedelta(days=ends_in_days),
        expiry_notices=["7:x"],
    )


def _stored(channel: Channel) -> login.Token:
    row = Channel.objects.get(pk=channel.pk)
    token = login.Token.decode(sealed.unseal(row.credentials)["session"])
    assert token is not None
    return token


@pytest.mark.django_db
def test_renewing_stores_the_new_token_and_its_expiry_and_uses_graph_instagram(
    instagram, clock, workspace
):
    channel = _channel(workspace, clock)
    instagram.issued["IGAAlong-lived-token-1"] = clock() - 50 * DAY
    assert refreshing.due_refreshes() == [channel.pk]
    services.renew_credentials(channel.pk)
    channel.refresh_from_db()
    assert instagram.refreshes == 1
    assert _stored(channel).access_token == "IGAAlong-lived-token-2"
    assert channel.credentials_expire_at > timezone.now() + timedelta(days=59)
    assert channel.expiry_notices == [] and channel.state == ChannelState.ACTIVE
    with opened(services.connector_for(channel)) as connector:
        assert connector.verify().remote_id == OWN_ID
    sent = instagram.me.calls.last.request
    assert sent.url.host == "graph.instagram.com"
    assert sent.headers["Authorization"] == "Bearer IGAAlong-lived-token-2"
    assert "appsecret_proof" not in sent.url.params


@pytest.mark.django_db
def test_a_transient_failure_keeps_the_token_and_its_expiry(instagram, clock, workspace):
    channel = _channel(workspace, clock)
    before = channel.credentials_expire_at
    instagram.refuse_refresh = httpx.Response(503, json={"error": {"code": 2, "message": "x"}})
    services.renew_credentials(channel.pk)
    channel.refresh_from_db()
    assert _stored(channel).access_token == "IGAAlong-lived-token-1"
    assert channel.credentials_expire_at == before


@pytest.mark.django_db
def test_an_expired_token_turns_the_channel_to_needs_reconnect_and_holds_its_posts(
    instagram, clock, workspace
):
    from kalrav.publishing.held import held_reason
    from kalrav.publishing.models import Variant

    channel = _channel(workspace, clock)
    instagram.refuse_refresh = _answer("error_401")  # code 190, subcode 463: expired
    services.renew_credentials(channel.pk)
    channel.refresh_from_db()
    assert channel.state == ChannelState.NEEDS_RECONNECT
    assert "expired" in channel.state_detail
    assert _stored(channel).access_token == "IGAAlong-lived-token-1"  # nothing dropped
    variant = Variant(channel=channel, state="scheduled", scheduled_at=timezone.now())
    assert held_reason(variant) == "Held: channel disconnected"
    assert refreshing.due_refreshes() == []  # no refreshing a dead token every day


@pytest.mark.django_db(transaction=True)
def test_two_workers_refreshing_at_once_refresh_once(instagram, clock, workspace):
    channel = _channel(workspace, clock)
    instagram.issued["IGAAlong-lived-token-1"] = clock() - 50 * DAY
    instagram.delay = 0.3
    rows = [Channel.objects.get(pk=channel.pk) for _ in range(2)]  # both read before either
    errors: list[BaseException] = []

    def refresh(row: Channel) -> None:
        try:
            with opened(services.connector_for(row)) as connector:
                connector.refresh()
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            db_connection.close()

    threads = [threading.Thread(target=refresh, args=(row,)) for row in rows]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert not errors
    assert instagram.refreshes == 1
    assert _stored(channel).access_token == "IGAAlong-lived-token-2"


# --- Webhooks signed by either app ---------------------------------------------------------------


def test_a_delivery_signed_with_the_instagram_app_secret_is_taken(meta_app):
    body = recorded(FIXTURES, "webhook_comments").body
    raw = __import__("json").dumps(body).encode()
    with override_settings(INSTAGRAM_APP_SECRET=IG_SECRET):
        for secret in (IG_SECRET, "meta-app-secret-for-tests"):
            headers = {"X-Hub-Signature-256": signature(secret, raw)}
            assert InstagramConnector.receive_for_app(headers, raw).items
        with pytest.raises(PermissionError):
            InstagramConnector.receive_for_app(
                {"X-Hub-Signature-256": signature("someone-else", raw)}, raw
            )
