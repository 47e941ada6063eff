"""The Bluesky session kept and refreshed per channel (session.py), against respx fakes shaped like
com.atproto.server.createSession / refreshSession. Signing in is what bsky.social limits hardest
(30 in 5 minutes, 300 a day), so these count sign-ins."""

from __future__ import annotations

import json
import threading

import pytest
import respx

from kalrav.connectors.base import ConnectorContext, OutgoingPost
from kalrav.connectors.errors import AuthExpired
from kalrav.connectors.networks.bluesky.client import Transport
from kalrav.connectors.networks.bluesky.connector import BlueskyConnector
from kalrav.connectors.networks.bluesky.session import access_usable, refresh_expires_at
from kalrav.connectors.networks.bluesky.tests.test_connector import (
    DID,
    PASSWORD,
    SESSION,
    XRPC,
    _created,
    _jwt,
    _xrpc_error,
)
from kalrav.connectors.sessions import KeptInMemory, SessionKeeper

HANDLE = "brand.example.com"


def _kept(access_lifetime: int, refresh_lifetime: int = 86400) -> str:
    return ":::".join(
        [
            HANDLE,
            DID,
            _jwt(DID, access_lifetime),
            _jwt(DID, refresh_lifetime),
            "https://pds.example",
        ]
    )


def _connector(keeper: SessionKeeper, password: str = PASSWORD) -> BlueskyConnector:
    return BlueskyConnector(
        ConnectorContext(
            channel_id=1,
            config={"service_url": "https://pds.example", "handle": HANDLE},
            credentials={"app_password": password},
            sessions=keeper,
        ),
        transport=Transport(resolver=lambda host, port: ["93.184.216.34"]),
    )


@pytest.fixture
def pds():
    with respx.mock(base_url=XRPC, assert_all_called=False) as mock:
        mock.post("/com.atproto.server.createSession", name="sign_in").respond(200, json=SESSION)
        mock.post("/com.atproto.server.refreshSession", name="refresh").respond(
            200, json={**SESSION, "accessJwt": _jwt(DID), "refreshJwt": _jwt(DID, 90 * 86400)}
        )
        mock.post("/com.atproto.repo.createRecord", name="create").mock(
            side_effect=lambda request: _created(json.loads(request.content)["rkey"])
        )
        yield mock


def _publish(connector: BlueskyConnector, n: int) -> None:
    try:
        connector.publish(OutgoingPost(text=f"Post {n}"), idempotency_key=f"key-{n}")
    finally:
        connector.close()


def test_thirty_posts_of_one_channel_sign_in_once(pds):
    keeper = KeptInMemory()
    for n in range(30):  # one connector per post, as the dispatcher makes them
        _publish(_connector(keeper), n)
    assert pds["create"].call_count == 30
    assert pds["sign_in"].call_count == 1
    assert pds["refresh"].call_count == 0


def test_an_expired_access_token_is_refreshed_without_signing_in(pds):
    kept = _kept(access_lifetime=-60)
    keeper = KeptInMemory(kept)
    _publish(_connector(keeper), 1)
    assert pds["refresh"].call_count == 1
    assert pds["sign_in"].call_count == 0
    assert access_usable(keeper.kept())
    refresh_sent = pds["refresh"].calls.last.request.headers["Authorization"]
    assert refresh_sent == "Bearer " + kept.split(":::")[3]


def test_many_threads_with_an_expiring_session_refresh_it_once(pds):
    keeper = KeptInMemory(_kept(access_lifetime=60))  # inside the renewal margin
    threads = [threading.Thread(target=_publish, args=(_connector(keeper), n)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert pds["create"].call_count == 8
    assert pds["refresh"].call_count == 1
    assert pds["sign_in"].call_count == 0


def test_a_refused_refresh_signs_in_with_the_app_password(pds):
    pds["refresh"].mock(return_value=_xrpc_error(400, "ExpiredToken", "Token has expired"))
    keeper = KeptInMemory(_kept(access_lifetime=-60))
    _publish(_connector(keeper), 1)
    assert pds["sign_in"].call_count == 1
    assert pds["create"].call_count == 1


def test_a_token_revoked_before_its_time_is_renewed_and_the_call_repeated(pds):
    pds["create"].mock(
        side_effect=[_xrpc_error(400, "ExpiredToken", "Token has been revoked"), _created("3abc")]
    )
    keeper = KeptInMemory(_kept(access_lifetime=3600))
    _publish(_connector(keeper), 1)
    assert pds["refresh"].call_count == 1
    assert pds["create"].call_count == 2
    assert pds["sign_in"].call_count == 0


def test_a_wrong_password_with_nothing_kept_asks_for_reconnecting(pds):
    pds["sign_in"].mock(return_value=_xrpc_error(401, "AuthenticationRequired", "Invalid password"))
    with pytest.raises(AuthExpired):
        _publish(_connector(KeptInMemory(), password="wrong"), 1)


def test_a_session_of_another_account_is_not_used(pds):
    other = _kept(3600).replace(HANDLE, "someone-else.example.com", 1).replace(DID, "did:plc:x", 1)
    keeper = KeptInMemory(other)
    _publish(_connector(keeper), 1)
    assert pds["sign_in"].call_count == 1
    assert DID in keeper.kept()


def test_refresh_renews_now_and_says_when_the_refresh_token_ends(pds):
    keeper = KeptInMemory(_kept(access_lifetime=3600))
    renewed = _connector(keeper).refresh()
    assert pds["refresh"].call_count == 1
    assert renewed.credentials["session"] == keeper.kept()
    expires = refresh_expires_at(keeper.kept())
    assert expires is not None
