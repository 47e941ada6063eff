"""The one HTTP client: error mapping, retries, rate-limit hints and the private-address guard.
Every request is answered by respx; the resolver is a fake, so no test touches a network."""

from __future__ import annotations

import asyncio
import email.utils
import time
from datetime import datetime

import httpx
import pytest
import respx

from kalrav.connectors import http
from kalrav.connectors.errors import AuthExpired, BlockedAddress, RateLimited, Rejected, Transient

PUBLIC = "93.184.215.14"


def public_resolver(host, port):
    return [PUBLIC]


def client(**kwargs) -> http.HttpClient:
    slept: list[float] = []
    made = http.HttpClient(
        resolver=kwargs.pop("resolver", public_resolver), sleep=slept.append, **kwargs
    )
    made.slept = slept  # type: ignore[attr-defined]
    return made


@pytest.fixture(autouse=True)
def _no_real_network():
    with respx.mock(assert_all_called=False) as router:
        yield router


def test_success_sends_user_agent(_no_real_network):
    route = _no_real_network.get("https://api.example.com/ping").respond(200, json={"ok": True})
    assert client().get("https://api.example.com/ping").json() == {"ok": True}
    assert route.calls.last.request.headers["User-Agent"].startswith("Kalrav")


@pytest.mark.parametrize(
    ("status", "body", "headers", "error"),
    [
        (401, {"error": "invalid_token"}, {}, AuthExpired),
        (403, {"error": "The access token was revoked"}, {}, AuthExpired),
        (
            403,
            {"error": "forbidden"},
            {"WWW-Authenticate": 'Bearer error="insufficient_scope"'},
            AuthExpired,
        ),
        (403, {"error": "You are not allowed to post in this group"}, {}, Rejected),
        (422, {"error": "Validation failed: Text character limit of 500 exceeded"}, {}, Rejected),
        (400, {"description": "Bad Request: message text is empty"}, {}, Rejected),
    ],
)
def test_status_maps_to_typed_error(_no_real_network, status, body, headers, error):
    _no_real_network.post("https://api.example.com/post").respond(
        status, json=body, headers=headers
    )
    with pytest.raises(error) as raised:
        client().post("https://api.example.com/post")
    assert type(raised.value) is error


def test_rejected_carries_the_servers_message(_no_real_network):
    _no_real_network.post("https://mastodon.example/api/v1/statuses").respond(
        422, json={"error": "Validation failed: Text character limit of 500 exceeded"}
    )
    with pytest.raises(Rejected) as raised:
        client().post("https://mastodon.example/api/v1/statuses")
    assert raised.value.reason == "Validation failed: Text character limit of 500 exceeded"


def test_rate_limited_with_retry_after_seconds(_no_real_network):
    _no_real_network.get("https://api.example.com/x").respond(429, headers={"Retry-After": "120"})
    with pytest.raises(RateLimited) as raised:
        client().get("https://api.example.com/x")
    assert raised.value.retry_after == 120


def test_rate_limited_with_retry_after_http_date(_no_real_network):
    when = email.utils.formatdate(time.time() + 90, usegmt=True)
    _no_real_network.get("https://api.example.com/x").respond(429, headers={"Retry-After": when})
    with pytest.raises(RateLimited) as raised:
        client().get("https://api.example.com/x")
    assert 85 <= raised.value.retry_after <= 91


def test_rate_limited_with_epoch_reset(_no_real_network):
    reset = int(time.time()) + 300
    _no_real_network.get("https://api.example.com/x").respond(
        429, headers={"x-ratelimit-reset": str(reset)}
    )
    with pytest.raises(RateLimited) as raised:
        client().get("https://api.example.com/x")
    assert 295 <= raised.value.retry_after <= 301


def test_rate_limited_with_iso_reset_as_mastodon_sends_it():
    response = httpx.Response(429, headers={"X-RateLimit-Reset": "2030-01-01T00:05:00.000Z"})
    start = datetime.fromisoformat("2030-01-01T00:00:00+00:00").timestamp()
    assert http.retry_after(response, now=start) == 300


def test_rate_limited_without_hint(_no_real_network):
    _no_real_network.get("https://api.example.com/x").respond(429, json={"error": "slow down"})
    with pytest.raises(RateLimited) as raised:
        client().get("https://api.example.com/x")
    assert raised.value.retry_after is None


def test_absurd_retry_hint_is_clamped():
    assert (
        http.retry_after(httpx.Response(429, headers={"Retry-After": "99999999"}))
        == http.MAX_RETRY_AFTER
    )


def test_get_is_retried_after_5xx_then_succeeds(_no_real_network):
    route = _no_real_network.get("https://api.example.com/feed")
    route.side_effect = [httpx.Response(503), httpx.Response(502), httpx.Response(200, json=[])]
    made = client(retries=2)
    assert made.get("https://api.example.com/feed").json() == []
    assert route.call_count == 3
    assert len(made.slept) == 2


def test_get_gives_up_with_transient(_no_real_network):
    route = _no_real_network.get("https://api.example.com/feed").respond(500, text="boom")
    with pytest.raises(Transient):
        client(retries=2).get("https://api.example.com/feed")
    assert route.call_count == 3


def test_post_is_never_retried(_no_real_network):
    route = _no_real_network.post("https://api.example.com/post").respond(503)
    with pytest.raises(Transient):
        client(retries=3).post("https://api.example.com/post")
    assert route.call_count == 1


def test_connection_error_on_get_is_retried(_no_real_network):
    route = _no_real_network.get("https://api.example.com/feed")
    route.side_effect = [httpx.ConnectError("refused"), httpx.Response(200, json={"a": 1})]
    assert client().get("https://api.example.com/feed").json() == {"a": 1}
    assert route.call_count == 2


def test_timeout_is_transient(_no_real_network):
    _no_real_network.post("https://api.example.com/post").side_effect = httpx.ReadTimeout("slow")
    with pytest.raises(Transient) as raised:
        client().post("https://api.example.com/post")
    assert "timed out" in str(raised.value)


def test_backoff_honours_a_short_retry_after(_no_real_network):
    route = _no_real_network.get("https://api.example.com/feed")
    route.side_effect = [httpx.Response(503, headers={"Retry-After": "2"}), httpx.Response(200)]
    made = client()
    made.get("https://api.example.com/feed")
    assert made.slept == [2.0]


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",  # noqa: S104 - an address to refuse, not one to bind
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",
        "224.0.0.1",
        "240.0.0.1",
    ],
)
def test_private_and_reserved_addresses_are_refused(_no_real_network, address):
    route = _no_real_network.get("https://sneaky.example/").respond(200)
    with pytest.raises(BlockedAddress):
        client(resolver=lambda host, port: [address]).get("https://sneaky.example/")
    assert not route.called


def test_one_private_address_among_public_ones_is_enough_to_refuse(_no_real_network):
    _no_real_network.get("https://mixed.example/").respond(200)
    with pytest.raises(BlockedAddress):
        client(resolver=lambda host, port: [PUBLIC, "10.0.0.5"]).get("https://mixed.example/")


def test_literal_private_ip_is_refused_without_lookup(_no_real_network):
    def no_lookup(host, port):
        raise AssertionError("a literal address needs no lookup")

    with pytest.raises(BlockedAddress):
        client(resolver=no_lookup).get("http://127.0.0.1:8000/admin")


def test_redirect_to_a_private_address_is_refused(_no_real_network):
    _no_real_network.get("https://public.example/go").respond(
        302, headers={"Location": "http://internal.example/secret"}
    )
    secret = _no_real_network.get("http://internal.example/secret").respond(200)

    def resolver(host, port):
        return ["10.0.0.7"] if host == "internal.example" else [PUBLIC]

    with pytest.raises(BlockedAddress):
        client(resolver=resolver).get("https://public.example/go")
    assert not secret.called


def test_non_http_scheme_is_refused():
    with pytest.raises(BlockedAddress):
        http.check_url("file:///etc/passwd", public_resolver)


def test_unresolvable_host_is_transient(_no_real_network):
    def failing(host, port):
        raise Transient("Cannot resolve nowhere.example")

    with pytest.raises(Transient):
        client(resolver=failing, retries=0).get("https://nowhere.example/")


def test_override_allows_local_servers_for_tests(_no_real_network):
    _no_real_network.get("http://127.0.0.1:2583/xrpc/_health").respond(200, json={"version": "1"})
    local = client(allow_private=True, resolver=lambda host, port: ["127.0.0.1"])
    assert local.get("http://127.0.0.1:2583/xrpc/_health").json() == {"version": "1"}


def test_public_check_unit():
    assert http.is_public_address(PUBLIC)
    assert http.is_public_address("2606:4700:4700::1111")
    assert not http.is_public_address("fe80::1%eth0")


# --- async ---------------------------------------------------------------------------------------


def async_client(**kwargs) -> http.AsyncHttpClient:
    slept: list[float] = []

    async def sleep(seconds):
        slept.append(seconds)

    made = http.AsyncHttpClient(
        resolver=kwargs.pop("resolver", public_resolver), sleep=sleep, **kwargs
    )
    made.slept = slept  # type: ignore[attr-defined]
    return made


def test_async_retries_get_and_maps_errors(_no_real_network):
    route = _no_real_network.get("https://api.example.com/feed")
    route.side_effect = [httpx.ConnectError("reset"), httpx.Response(200, json={"ok": 1})]
    _no_real_network.post("https://api.example.com/post").respond(
        401, json={"error": "ExpiredToken"}
    )
    _no_real_network.get("https://sneaky.example/").respond(200)

    async def scenario():
        async with async_client() as made:
            assert (await made.get("https://api.example.com/feed")).json() == {"ok": 1}
            assert len(made.slept) == 1
            with pytest.raises(AuthExpired):
                await made.post("https://api.example.com/post")
        async with async_client(resolver=lambda h, p: ["192.168.0.10"]) as guarded:
            with pytest.raises(BlockedAddress):
                await guarded.get("https://sneaky.example/")

    asyncio.run(scenario())
