"""How the atproto SDK reaches a PDS for one channel.

The SDK speaks httpx; we give it Kalrav's timeouts, user agent and the address guard of
kalrav.connectors.http (a PDS address is typed in by users), and errors.translate turns its
exceptions into ours. Retries are left to the caller: every failure says whether one is worth it.

Signing in, keeping and refreshing the session is session.py's job.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import httpx
from atproto_client.request import Request, RequestBase

from kalrav.connectors import http

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


_clients: dict[tuple, httpx.Client] = {}
_clients_lock = threading.Lock()


def _shared_client(transport: Transport) -> httpx.Client:
    """One httpx client per way of reaching the network, for the whole process: building one
    (its TLS context above all) costs ~30 ms of CPU, which a connector made per post paid per
    post. httpx clients are thread-safe; the SDK's session headers are kept per Request, not
    here, so sharing the pool shares no account's token."""
    key = (transport.allow_private, repr(transport.timeout), id(transport.resolver))
    with _clients_lock:
        client = _clients.get(key)
        if client is None or client.is_closed:
            client = _clients[key] = httpx.Client(
                follow_redirects=True, **transport.httpx_options()
            )
        return client


class _GuardedRequest(Request):
    """The SDK's request layer on the shared httpx client, with our user agent (its own would
    override ours per call)."""

    def __init__(self, transport: Transport) -> None:
        RequestBase.__init__(self)
        self._transport = transport
        self._client = _shared_client(transport)

    def _new_instance(self) -> _GuardedRequest:
        return type(self)(self._transport)

    def close(self) -> None:
        """The HTTP client is the process's, not this request's: nothing to close."""

    def get_headers(self, additional_headers: dict[str, str] | None = None) -> dict[str, str]:
        headers = super().get_headers(additional_headers)
        return {k: v for k, v in headers.items() if k.lower() != "user-agent"} | {
            "User-Agent": http.USER_AGENT
        }


def guarded_request(transport: Transport) -> Request:
    return _GuardedRequest(transport)
