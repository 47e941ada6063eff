"""Mastodon.py on Kalrav's one HTTP client.

Mastodon.py speaks `requests`; Kalrav's outgoing traffic must pass through
kalrav.connectors.http (timeouts, user agent, retries of safe requests, rate-limit headers read
into the error, refusal of private addresses typed in by users). A requests transport adapter
hands every request Mastodon.py prepares to that client and gives the answer back, so the SDK
keeps its parameter building and parsing while the policy stays in one place, and respx fakes
answer the SDK in tests.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import httpx
import requests
from mastodon import Mastodon
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from kalrav.connectors.errors import Rejected
from kalrav.connectors.http import USER_AGENT, HttpClient
from kalrav.connectors.networks.mastodon.errors import mapped

# Forks report versions like "4.2.0+glitch" or "2.7.2 (compatible; Pleroma 2.5.0)".
_VERSION = re.compile(r"\d+\.\d+\.\d+")
# requests adds these for its own connection handling; httpx sets its own.
_HOP_BY_HOP = frozenset({"connection", "content-length", "accept-encoding", "transfer-encoding"})


class KalravAdapter(BaseAdapter):
    def __init__(self, http: HttpClient) -> None:
        super().__init__()
        self.http = http

    def send(  # type: ignore[override]
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: object = None,
        verify: object = True,
        cert: object = None,
        proxies: object = None,
    ) -> requests.Response:
        # Timeouts come from Kalrav's client, not from the 300 s Mastodon.py would ask for.
        headers = {
            name: value
            for name, value in request.headers.items()
            if name.lower() not in _HOP_BY_HOP
        }
        body = request.body
        answer = self.http.request(
            str(request.method),
            str(request.url),
            headers=headers,
            content=body.encode() if isinstance(body, str) else body,
        )
        return _as_requests_response(answer, request)

    def close(self) -> None:
        """The HttpClient belongs to the connector, which closes it."""


def _as_requests_response(
    answer: httpx.Response, request: requests.PreparedRequest
) -> requests.Response:
    response = requests.Response()
    response.status_code = answer.status_code
    # httpx has already decoded gzip; say so by dropping the encoding header.
    response.headers = CaseInsensitiveDict(
        {k: v for k, v in answer.headers.items() if k.lower() != "content-encoding"}
    )
    response._content = answer.content
    response.encoding = answer.encoding
    response.reason = answer.reason_phrase
    response.url = str(answer.url)
    response.request = request
    return response


def session_for(http: HttpClient) -> requests.Session:
    session = requests.Session()
    # No .netrc credentials or proxy variables may slip into requests to user-given hosts.
    session.trust_env = False
    adapter = KalravAdapter(http)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def api(
    instance_url: str,
    http: HttpClient,
    access_token: str | None = None,
    *,
    version: str = "",
    **extra: Any,
) -> Mastodon:
    """A Mastodon.py client that never sleeps on its own: rate limits come back as errors so the
    worker, not a blocked thread, decides when to try again. Given the instance's version (kept
    in the channel config), Mastodon.py picks endpoints by it instead of fetching it again."""
    known = _VERSION.match(version or "")
    return Mastodon(
        api_base_url=instance_url,
        access_token=access_token,
        session=session_for(http),
        ratelimit_method="throw",
        mastodon_version=known.group(0) if known else None,
        version_check_mode="created" if known else "none",
        user_agent=USER_AGENT,
        **extra,
    )


def new_http(options: Mapping[str, object] | None = None) -> HttpClient:
    """The HTTP client a connector uses when none is given; `options` are HttpClient's own."""
    return HttpClient(**dict(options or {}))  # type: ignore[arg-type]


def fetch_instance(client: Mastodon) -> dict[str, Any]:
    """GET /api/v2/instance, or v1 on servers older than Mastodon 4.0 and on forks without v2."""
    try:
        with mapped():
            return dict(client.instance_v2())
    except Rejected:
        with mapped():
            return dict(client.instance_v1())
