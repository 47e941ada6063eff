"""Connecting a Mastodon account on any instance: OAuth app registration, the authorization URL,
the code exchange, or an access token pasted directly (how tests and many self-hosters connect).

The channels app calls these from its OAuth views; they never touch the database. Each returns
what to store: a `RegisteredApp` between the two OAuth steps (its secret belongs in the session
or an encrypted row, never in a URL), then a `Connection` whose `config` and `credentials` go to
the channel. Instances register apps per Kalrav installation and per instance; the caller may
cache a RegisteredApp by instance URL and redirect URI.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from mastodon import Mastodon

from kalrav.connectors import account
from kalrav.connectors.errors import Rejected
from kalrav.connectors.http import HttpClient
from kalrav.connectors.networks.mastodon import mapping
from kalrav.connectors.networks.mastodon.client import api, fetch_instance, new_http, session_for
from kalrav.connectors.networks.mastodon.errors import mapped

# read: inbox, metrics, search, stream; write: statuses, media, deletes. Nothing more: Kalrav
# never follows, blocks or reports on the brand's behalf.
SCOPES: tuple[str, ...] = ("read", "write")
CLIENT_NAME = "Kalrav"


@dataclass(frozen=True)
class RegisteredApp:
    instance_url: str
    client_id: str
    client_secret: str = field(repr=False)
    redirect_uri: str
    scopes: tuple[str, ...] = SCOPES


# What a connected channel stores: `config` (instance_url and the instance's limits for the rules)
# in the clear, `credentials` encrypted.
Connection = account.Connection


def _normalised(instance_url: str) -> str:
    url = instance_url.strip().rstrip("/")
    return url if "://" in url else f"https://{url}"


def _allow_http(instance_url: str) -> bool:
    # Only an instance typed with http:// (a local test server) may use http endpoints.
    return instance_url.startswith("http://")


def register_app(
    instance_url: str,
    *,
    redirect_uri: str,
    website: str = "",
    client_name: str = CLIENT_NAME,
    scopes: tuple[str, ...] = SCOPES,
    http: HttpClient | None = None,
) -> RegisteredApp:
    """POST /api/v1/apps on the instance."""
    instance_url = _normalised(instance_url)
    http = http or new_http()
    with mapped():
        client_id, client_secret = Mastodon.create_app(
            client_name,
            scopes=list(scopes),
            redirect_uris=redirect_uri,
            website=website or None,
            api_base_url=instance_url,
            session=session_for(http),
        )
    return RegisteredApp(instance_url, client_id, client_secret, redirect_uri, tuple(scopes))


def server_info(instance_url: str, http: HttpClient) -> Mapping[str, Any]:
    """RFC 8414 metadata (Mastodon 4.3+); {} where the instance has none. Mastodon.py would look
    this up itself, but it only tolerates the 404 of older servers when it sees the response,
    and here Kalrav's client turns that response into an error first."""
    try:
        found = http.get(f"{instance_url}/.well-known/oauth-authorization-server").json()
    except (Rejected, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def _endpoint(info: Mapping[str, Any], name: str, default: str, instance_url: str) -> str:
    found = str(info.get(name) or "")
    # An advertised endpoint must not downgrade to plain http when the instance uses https.
    if not found or (found.startswith("http://") and not _allow_http(instance_url)):
        return default
    return found


def authorization_url(app: RegisteredApp, *, state: str, http: HttpClient | None = None) -> str:
    """Where to send the person; the instance sends them back to app.redirect_uri with ?code and
    ?state. The instance's advertised authorization endpoint wins over the default path."""
    http = http or new_http()
    client = api(app.instance_url, http, client_id=app.client_id, client_secret=app.client_secret)
    with mapped():
        url = client.auth_request_url(
            redirect_uris=app.redirect_uri,
            scopes=list(app.scopes),
            state=state,
            force_login=True,  # an agency connects many accounts from one browser
            skip_server_info=True,
        )
    default, _question, query = url.partition("?")
    endpoint = _endpoint(
        server_info(app.instance_url, http), "authorization_endpoint", default, app.instance_url
    )
    return f"{endpoint}?{query}"


def exchange_code(app: RegisteredApp, code: str, *, http: HttpClient | None = None) -> Connection:
    """POST the code to the token endpoint, then read the account and the instance's limits."""
    http = http or new_http()
    token_url = _endpoint(
        server_info(app.instance_url, http),
        "token_endpoint",
        f"{app.instance_url}/oauth/token",
        app.instance_url,
    )
    granted = http.post(
        token_url,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": app.redirect_uri,
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "scope": " ".join(app.scopes),
        },
    ).json()
    scopes = set(str(granted.get("scope") or "").split())
    if not set(app.scopes) <= scopes:
        raise Rejected(
            _("The server granted %(granted)s, but Kalrav needs %(needed)s.")
            % {"granted": " ".join(sorted(scopes)) or "-", "needed": " ".join(app.scopes)}
        )
    return _connection(
        app.instance_url,
        {
            "access_token": str(granted["access_token"]),
            "client_id": app.client_id,
            "client_secret": app.client_secret,
        },
        http,
    )


def connect_with_token(
    instance_url: str, access_token: str, *, http: HttpClient | None = None
) -> Connection:
    """An access token made in the instance's settings (Development → New application)."""
    return _connection(
        _normalised(instance_url), {"access_token": access_token}, http or new_http()
    )


def _connection(instance_url: str, credentials: dict[str, str], http: HttpClient) -> Connection:
    client = api(instance_url, http, access_token=credentials["access_token"])
    with mapped():
        account = mapping.author(client.account_verify_credentials())
    instance = mapping.instance_config(fetch_instance(client))
    return Connection(
        config={"instance_url": instance_url, "instance": instance},
        credentials=credentials,
        account=account,
    )
