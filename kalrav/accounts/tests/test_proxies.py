"""Sign-in throttling counts the real client behind trusted proxies, and nobody else's word for it
(issue 15, finding 7)."""

from __future__ import annotations

import ipaddress

import pytest

from kalrav.conf import Env, ImproperlyConfiguredVariable
from kalrav.ops.supervisor import children_for


def _networks(*values: str):
    return [ipaddress.ip_network(v) for v in values]


def _fail(client, email, remote, forwarded=None):
    headers = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post("/accounts/signin/", {"email": email, "password": "wrong"}, **headers)


def test_behind_a_load_balancer_each_client_is_counted_apart(client, db, settings):
    settings.TRUSTED_PROXIES = _networks("10.0.0.0/8")
    limit = settings.SIGNIN_MAX_FAILURES * 4
    for n in range(limit):
        # One client guesses at many accounts: every request reaches Kalrav from the balancer.
        _fail(client, f"guess{n}@example.test", "10.0.0.2", "198.51.100.7")
    assert _fail(client, "one-more@example.test", "10.0.0.2", "198.51.100.7").status_code == 429
    # Someone else behind the same balancer still signs in (well, fails for their own reason).
    assert _fail(client, "colleague@example.test", "10.0.0.2", "203.0.113.20").status_code == 400


def test_a_client_cannot_rotate_its_forwarded_for_header(client, db, settings):
    settings.TRUSTED_PROXIES = _networks("10.0.0.0/8")
    limit = settings.SIGNIN_MAX_FAILURES * 4
    for n in range(limit):
        # The proxy appends the address it saw; whatever the client wrote stays on the left.
        _fail(client, f"guess{n}@example.test", "10.0.0.2", f"192.0.2.{n}, 198.51.100.7")
    assert (
        _fail(client, "x@example.test", "10.0.0.2", "192.0.2.99, 198.51.100.7").status_code == 429
    )


def test_forwarded_for_from_an_untrusted_peer_is_ignored(client, db, settings):
    settings.TRUSTED_PROXIES = []
    limit = settings.SIGNIN_MAX_FAILURES * 4
    for n in range(limit):
        _fail(client, f"guess{n}@example.test", "127.0.0.1", f"192.0.2.{n}")
    assert _fail(client, "x@example.test", "127.0.0.1", "192.0.2.250").status_code == 429


def test_trusted_proxies_setting_refuses_bad_values():
    assert Env({}).networks("KALRAV_TRUSTED_PROXIES", []) == []
    assert Env({"P": "127.0.0.1, 10.0.0.0/8,::1"}).networks("P", []) == _networks(
        "127.0.0.1/32", "10.0.0.0/8", "::1/128"
    )
    for bad in ("*", "10.0.0.300", "localhost", "10.0.0.0/33", "10.0.0.1,,10.0.0.2"):
        with pytest.raises(ImproperlyConfiguredVariable, match="P="):
            Env({"P": bad}).networks("P", [])


def test_serve_does_not_let_uvicorn_trust_loopback_blindly():
    web = children_for("127.0.0.1", 8000, trusted_proxies=[])[0].argv
    assert "--no-proxy-headers" in web
    assert "--forwarded-allow-ips" not in web

    trusted = _networks("127.0.0.1/32", "10.0.0.0/8")
    web = children_for("127.0.0.1", 8000, trusted_proxies=trusted)[0].argv
    assert web[web.index("--forwarded-allow-ips") + 1] == "127.0.0.1/32,10.0.0.0/8"
    assert "--no-proxy-headers" not in web
