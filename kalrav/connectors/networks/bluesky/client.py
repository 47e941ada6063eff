"""A signed-in atproto SDK client for one channel.

The SDK speaks httpx; we give it Kalrav's timeouts, user agent and the address guard of
kalrav.connectors.http (a PDS address is typed in by users), and errors.translate turns its
exceptions into ours. Retries are left to the caller: every failure says whether one is worth it.

Signing in: the stored credential is the app password. Creating a session is the most tightly
rate-limited call on bsky.social (30 per 5 minutes, 300 a day per account), so a session string
kept from an earlier sign-in (CredentialRefresher.refresh stores it) is tried first, and the app
password only when there is none or the PDS no longer accepts it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx
from atproto_client import Client
from atproto_client.request import Request
from django.utils.translation import gettext as _

from kalrav.connectors import http
from kalrav.connectors.errors import AuthExpired
from kalrav.connectors.networks.bluesky.errors import translated

DEFAULT_SERVICE = "https://bsky.social"


@dataclass(frozen=True)
class Transport:
    """How the SDK reaches the network. Tests of local servers pass allow_private=True."""

    allow_private: bool = field(default_factory=http.private_addresses_allowed)
    timeout: httpx.Timeout | float = field(default_factory=lambda: http.DEFAULT_TIMEOUT)
    resolver: http.Resolver = http.system_resolver

    def httpx_options(self) -> dict:
        def guard(request: httpx.Request) -> None:
            if not self.allow_private:
                http.check_url(request.url, self.resolver)

        return {
            "timeout": self.timeout,
            "headers": {"User-Agent": http.USER_AGENT},
            "event_hooks": {"request": [guard]},
        }

    def guard_websocket(self, url: str) -> None:
        if not self.allow_private:
            http.check_url(url.replace("wss://", "https://", 1).replace("ws://", "http://", 1))


class _GuardedRequest(Request):
    """The SDK's request layer with our user agent (its own would override ours per call)."""

    def get_headers(self, additional_headers: dict[str, str] | None = None) -> dict[str, str]:
        headers = super().get_headers(additional_headers)
        return {k: v for k, v in headers.items() if k.lower() != "user-agent"} | {
            "User-Agent": http.USER_AGENT
        }


def new_client(service_url: str, transport: Transport) -> Client:
    return Client(
        service_url or DEFAULT_SERVICE, request=_GuardedRequest(**transport.httpx_options())
    )


def signed_in_client(
    service_url: str,
    transport: Transport,
    *,
    handle: str,
    app_password: str,
    session_string: str = "",
) -> Client:
    """A client signed in by `session_string` when it still works, else by the app password. The
    SDK renews the access token by itself while the session's refresh token is valid."""
    if session_string:
        client = new_client(service_url, transport)
        try:
            with translated():
                client.login(session_string=session_string, fetch_bsky_profile=False)
                # Importing checks nothing; this cheap call refreshes an expired access token and
                # fails when the session was revoked.
                client.com.atproto.server.get_session()
            return client
        except (AuthExpired, ValueError):
            # Revoked, rotated away by another worker, or unreadable: use the password.
            client.request.close()
        except BaseException:
            client.request.close()
            raise
    if not handle or not app_password:
        raise AuthExpired(_("The channel has no handle or app password; reconnect it."))
    client = new_client(service_url, transport)
    try:
        with translated():
            client.login(handle, app_password, fetch_bsky_profile=False)
    except BaseException:
        client.request.close()  # the connector never gets it, so it could not close it
        raise
    return client
