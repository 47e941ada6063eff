"""Connecting a Mastodon account: app registration, the authorization URL, the code exchange and
a pasted token, against faked documented responses."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from kalrav.connectors.errors import AuthExpired, Rejected
from kalrav.connectors.http import HttpClient
from kalrav.connectors.networks.mastodon import oauth
from kalrav.connectors.networks.mastodon.tests import payloads
from kalrav.connectors.networks.mastodon.tests.conftest import HTTP_OPTIONS

CALLBACK = "https://kalrav.example/channels/mastodon/callback"


@pytest.fixture
def http():
    client = HttpClient(**HTTP_OPTIONS)
    yield client
    client.close()


def app() -> oauth.RegisteredApp:
    found = payloads.application()
    return oauth.RegisteredApp(
        payloads.INSTANCE, found["client_id"], found["client_secret"], CALLBACK
    )


def _account_and_instance(api):
    api.get("/api/v1/accounts/verify_credentials").respond(200, json=payloads.account())
    api.get("/api/v2/instance/").respond(200, json=payloads.instance_v2(max_characters=1000))
    api.get("/api/v1/instance/").respond(200, json=payloads.instance_v1())


def test_register_app_asks_only_for_read_and_write(api, http):
    route = api.post("/api/v1/apps").respond(200, json=payloads.application())
    registered = oauth.register_app("social.example/", redirect_uri=CALLBACK, http=http)
    assert registered == app()
    sent = parse_qs(route.calls.last.request.content.decode())
    assert sent == {
        "client_name": ["Kalrav"],
        "scopes": ["read write"],
        "redirect_uris": [CALLBACK],
    }
    assert payloads.application()["client_secret"] not in repr(registered)


def test_register_app_refused_is_rejected(api, http):
    api.post("/api/v1/apps").respond(
        422, json={"error": "Validation failed: Redirect URI must be an absolute URI."}
    )
    with pytest.raises(Rejected, match="Redirect URI"):
        oauth.register_app(payloads.INSTANCE, redirect_uri="not a url", http=http)


def test_authorization_url_defaults_to_oauth_authorize(api, http):
    api.get("/.well-known/oauth-authorization-server").respond(404, json={"error": "Not found"})
    url = urlsplit(oauth.authorization_url(app(), state="s3cr3t-state", http=http))
    assert (url.scheme, url.netloc, url.path) == ("https", "social.example", "/oauth/authorize")
    query = parse_qs(url.query)
    assert query["client_id"] == [payloads.application()["client_id"]]
    assert query["redirect_uri"] == [CALLBACK]
    assert query["response_type"] == ["code"]
    assert query["scope"] == ["read write"]
    assert query["state"] == ["s3cr3t-state"]
    assert query["force_login"] == ["True"]


def test_authorization_url_follows_the_advertised_endpoint(api, http):
    api.get("/.well-known/oauth-authorization-server").respond(
        200,
        json={
            "issuer": f"{payloads.INSTANCE}/",
            "authorization_endpoint": "https://auth.social.example/oauth/authorize",
            "token_endpoint": f"{payloads.INSTANCE}/oauth/token",
            "grant_types_supported": ["authorization_code", "client_credentials"],
        },
    )
    url = oauth.authorization_url(app(), state="x", http=http)
    assert url.startswith("https://auth.social.example/oauth/authorize?")


def test_exchange_code_returns_what_the_channel_stores(api, http):
    api.get("/.well-known/oauth-authorization-server").respond(404, json={"error": "Not found"})
    token = api.post("/oauth/token").respond(200, json=payloads.token())
    _account_and_instance(api)
    connection = oauth.exchange_code(app(), "the-code", http=http)
    sent = parse_qs(token.calls.last.request.content.decode())
    assert sent["grant_type"] == ["authorization_code"]
    assert sent["code"] == ["the-code"]
    assert sent["redirect_uri"] == [CALLBACK]
    assert connection.credentials == {
        "access_token": payloads.token()["access_token"],
        "client_id": payloads.application()["client_id"],
        "client_secret": payloads.application()["client_secret"],
    }
    assert connection.account.remote_id == payloads.OWN_ID
    assert connection.config["instance_url"] == payloads.INSTANCE
    assert connection.config["instance"]["configuration"]["statuses"]["max_characters"] == 1000
    assert payloads.token()["access_token"] not in repr(connection)


def test_a_used_or_wrong_code_is_rejected_with_the_server_words(api, http):
    api.get("/.well-known/oauth-authorization-server").respond(404, json={"error": "Not found"})
    api.post("/oauth/token").respond(
        400,
        json={
            "error": "invalid_grant",
            "error_description": "The provided authorization grant is invalid, expired, revoked.",
        },
    )
    with pytest.raises(Rejected, match="authorization grant is invalid"):
        oauth.exchange_code(app(), "used-code", http=http)


def test_connect_with_a_pasted_token(api, http):
    _account_and_instance(api)
    connection = oauth.connect_with_token("https://social.example/", "pasted", http=http)
    assert connection.credentials == {"access_token": "pasted"}
    assert connection.account.handle == "acmetea"
    assert connection.config["instance_url"] == payloads.INSTANCE


def test_a_bad_pasted_token_needs_reconnecting(api, http):
    api.get("/api/v1/accounts/verify_credentials").respond(
        401, json={"error": "The access token is invalid"}
    )
    with pytest.raises(AuthExpired):
        oauth.connect_with_token(payloads.INSTANCE, "wrong", http=http)
