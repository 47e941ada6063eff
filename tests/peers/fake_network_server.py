"""A test network on loopback, and the connector that publishes to it.

The server answers like the weakest network Kalrav publishes to: it has no idempotency, so
every POST creates a post, a repeat of one already made included. Never posting twice therefore
rests on Kalrav alone: its claims, and its reconciling before any resend (the connector is a
`Reconciler` that looks for the post by its words, as a real connector would, never by a key
the network does not know). The server still notes the Idempotency-Key header Kalrav sends,
only so a test can count the posts and requests per variant. Each answer waits `latency`
seconds (a range picks a random wait), like a real network's round trip.

The connector is registered only by test settings (tests/publish_kill_settings.py), never by
production settings.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from kalrav.connectors import registry
from kalrav.connectors.base import (
    ConnectorContext,
    OutgoingPost,
    PublishedRef,
    Publisher,
    Reconciler,
    SettingsField,
)
from kalrav.connectors.errors import AuthExpired, RateLimited, Rejected, Transient


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Hundreds of workers may connect at once in the burst benchmark.
    request_queue_size = 1024

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A worker killed mid-request resets its connection: expected here, not worth a trace.
        pass


class FakeNetwork:
    def __init__(self, latency: float | tuple[float, float] = (0.02, 0.05)) -> None:
        self.latency = latency
        self.lock = threading.Lock()
        self.posts: dict[str, dict[str, Any]] = {}  # post id -> post (with the key it came with)
        self.requests: Counter[str] = Counter()  # idempotency key -> POSTs received
        self.server = _Server(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> FakeNetwork:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait(self) -> None:
        low, high = self.latency if isinstance(self.latency, tuple) else (self.latency,) * 2
        time.sleep(random.uniform(low, high))  # noqa: S311 - simulated latency

    def create(self, key: str, text: str) -> dict[str, Any]:
        """A new post, whatever was posted before: the key is noted, never acted on."""
        with self.lock:
            self.requests[key] += 1
            number = len(self.posts) + 1
            post = {
                "id": str(number),
                "url": f"{self.url}/posts/{number}",
                "text": text,
                "key": key,
                "received_at": time.time(),
            }
            self.posts[post["id"]] = post
            return post

    def copies(self) -> Counter[str]:
        """Posts made per idempotency key: more than one is a duplicate post."""
        with self.lock:
            return Counter(post["key"] for post in self.posts.values())

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        network = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # quiet
                pass

            def _answer(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if len(raw) < length:
                    # The sender died mid-request: like any real server, drop the incomplete
                    # request instead of creating a post from half of it.
                    self.close_connection = True
                    return
                payload = json.loads(raw or b"{}")
                key = self.headers.get("Idempotency-Key", "")
                network.wait()
                if not key:
                    self._answer(422, {"error": "Idempotency-Key is required"})
                    return
                if payload.get("text", "").startswith("REJECT"):
                    self._answer(422, {"error": "This text is not allowed here"})
                    return
                self._answer(200, network.create(key, payload.get("text", "")))

            def do_GET(self) -> None:
                """The account's posts, newest first, without the keys (the network has none)."""
                network.wait()
                with network.lock:
                    posts = [
                        {k: v for k, v in post.items() if k != "key"}
                        for post in reversed(network.posts.values())
                    ]
                self._answer(200, {"posts": posts})

        return Handler


class LoopbackConnector:
    """Publishes to a FakeNetwork at the channel's `server_url`; finds a post whose publish had
    an unknown outcome among the account's posts, by its words and time."""

    slug = "loopnet"
    label = "Loopback test network"
    rules = registry.get("mastodon").rules
    capabilities: tuple[type, ...] = (Publisher, Reconciler)
    settings_fields = (SettingsField("server_url", "Server", kind="url"),)

    _clients: dict[str, httpx.Client] = {}

    def __init__(self, context: ConnectorContext) -> None:
        self.context = context
        url = str(context.config["server_url"])
        # One pooled client per server and process: the burst benchmark sends thousands.
        if url not in self._clients:
            self._clients[url] = httpx.Client(base_url=url, timeout=10)
        self.client = self._clients[url]

    def validate(self, post: OutgoingPost) -> list:
        return []

    def publish(self, post: OutgoingPost, *, idempotency_key: str) -> PublishedRef:
        try:
            response = self.client.post(
                "/posts", json={"text": post.text}, headers={"Idempotency-Key": idempotency_key}
            )
        except httpx.HTTPError as error:
            raise Transient(f"{type(error).__name__}: {error}") from error
        if response.status_code == 401:
            raise AuthExpired(response.text)
        if response.status_code == 429:
            raise RateLimited(response.text, retry_after=1)
        if response.status_code >= 500:
            raise Transient(response.text)
        if response.status_code >= 400:
            raise Rejected(response.json().get("error", response.text))
        body = response.json()
        return PublishedRef(remote_id=body["id"], url=body["url"])

    def reconcile(
        self, post: OutgoingPost, *, idempotency_key: str, not_before: datetime
    ) -> PublishedRef | None:
        try:
            response = self.client.get("/posts")
        except httpx.HTTPError as error:
            raise Transient(f"{type(error).__name__}: {error}") from error
        if response.status_code != 200:
            raise Transient(response.text)
        since = not_before.timestamp()
        for found in response.json()["posts"]:
            if found["text"] == post.text and found["received_at"] >= since:
                return PublishedRef(remote_id=found["id"], url=found["url"])
        return None

    def delete(self, ref: PublishedRef, *, idempotency_key: str) -> None:
        raise Rejected("The loopback network keeps its posts.")
