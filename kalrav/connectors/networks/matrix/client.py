"""The Matrix Client-Server API calls Kalrav makes, over kalrav.connectors.http.

Why not matrix-nio: it is asynchronous and brings its own aiohttp session, which would bypass the
one HTTP client (timeouts, user agent, and the address guard a user-typed homeserver URL needs);
the dozen documented endpoints below are simpler to call directly from synchronous connector
methods than an event loop per call. matrix-nio serves the live tests as an independent client.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import httpx

from kalrav.connectors.http import HttpClient
from kalrav.connectors.networks.matrix.errors import raise_matrix_error

CLIENT = "/_matrix/client/v3"
MEDIA_UPLOAD = "/_matrix/media/v3/upload"
RELATIONS = "/_matrix/client/v1"


def _segment(value: str) -> str:
    # Room ids, aliases and event ids carry "!", "#", "$" and ":", all of which must be escaped
    # inside a path segment.
    return quote(value, safe="")


def new_http(homeserver_url: str, access_token: str, **options: Any) -> HttpClient:
    client = HttpClient(
        base_url=homeserver_url.rstrip("/"),
        headers={"Authorization": f"Bearer {access_token}"},
        **options,
    )
    # HttpClient maps errors from the status alone; Matrix says more in its errcode. Its response
    # hooks are the way in (a public `error_for` argument on HttpClient would be cleaner).
    client._client.event_hooks["response"].append(raise_matrix_error)
    return client


class MatrixApi:
    def __init__(self, http: HttpClient) -> None:
        self.http = http

    def _json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        body = self.http.request(method, path, **kwargs).json()
        return body if isinstance(body, dict) else {}

    def whoami(self) -> dict[str, Any]:
        return self._json("GET", f"{CLIENT}/account/whoami")

    def profile(self, user_id: str) -> dict[str, Any]:
        return self._json("GET", f"{CLIENT}/profile/{_segment(user_id)}")

    def joined_rooms(self) -> list[str]:
        return list(self._json("GET", f"{CLIENT}/joined_rooms").get("joined_rooms", []))

    def resolve_alias(self, alias: str) -> str:
        return str(self._json("GET", f"{CLIENT}/directory/room/{_segment(alias)}")["room_id"])

    def state_event(self, room_id: str, event_type: str, state_key: str = "") -> dict[str, Any]:
        path = (
            f"{CLIENT}/rooms/{_segment(room_id)}/state/{_segment(event_type)}/{_segment(state_key)}"
        )
        return self._json("GET", path)

    def send(self, room_id: str, event_type: str, txn_id: str, content: dict[str, Any]) -> str:
        path = f"{CLIENT}/rooms/{_segment(room_id)}/send/{_segment(event_type)}/{_segment(txn_id)}"
        return str(self._json("PUT", path, json=content)["event_id"])

    def redact(self, room_id: str, event_id: str, txn_id: str, reason: str = "") -> str:
        path = f"{CLIENT}/rooms/{_segment(room_id)}/redact/{_segment(event_id)}/{_segment(txn_id)}"
        return str(self._json("PUT", path, json={"reason": reason} if reason else {})["event_id"])

    def upload(self, data: bytes, mime_type: str, filename: str) -> str:
        body = self._json(
            "POST",
            MEDIA_UPLOAD,
            params={"filename": filename},
            content=data,
            headers={"Content-Type": mime_type},
        )
        return str(body["content_uri"])

    def messages(
        self, room_id: str, *, direction: str, since: str = "", limit: int, event_filter: dict
    ) -> dict[str, Any]:
        params = {"dir": direction, "limit": str(limit), "filter": json.dumps(event_filter)}
        if since:
            params["from"] = since
        return self._json("GET", f"{CLIENT}/rooms/{_segment(room_id)}/messages", params=params)

    def event(self, room_id: str, event_id: str) -> dict[str, Any]:
        return self._json("GET", f"{CLIENT}/rooms/{_segment(room_id)}/event/{_segment(event_id)}")

    def sync(self, *, since: str, wait_seconds: float, sync_filter: dict) -> dict[str, Any]:
        """One /sync: what happened after `since` (everything, from the start, when empty),
        held open by the homeserver up to `wait_seconds` until something does."""
        params = {"timeout": str(int(wait_seconds * 1000)), "filter": json.dumps(sync_filter)}
        if since:
            params["since"] = since
        # The request waits as long as the homeserver holds it, and then some.
        timeout = httpx.Timeout(wait_seconds + 15.0, connect=5.0)
        return self._json("GET", f"{CLIENT}/sync", params=params, timeout=timeout)

    def reactions(self, room_id: str, event_id: str) -> list[dict[str, Any]]:
        path = (
            f"{RELATIONS}/rooms/{_segment(room_id)}/relations/{_segment(event_id)}"
            "/m.annotation/m.reaction"
        )
        return list(self._json("GET", path, params={"limit": "100"}).get("chunk", []))
