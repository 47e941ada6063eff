"""A stand-in Meta on loopback, for end-to-end tests of the Facebook Pages connector: Meta cannot
run here, so this ASGI app (served by uvicorn in a thread) plays Facebook Login and the Graph API.

- The Login dialog (/{version}/dialog/oauth): a page with a "Continue" button that sends the
  person back with code and state, after checking the app id, the redirect address and that the
  Page permissions were asked for.
- The Graph API (/{version}/...): answered by the connector's own fake Graph
  (kalrav/connectors/networks/facebook/tests/fake.py), which behaves like Meta and no better:
  codes work once, /oauth/access_token trades a code and then fb_exchange_token, /me/accounts
  lists the Pages with their tokens, appsecret_proof is required, every POST /feed is a new post
  (no idempotency), /published_posts for reconcile, comments, /messages with the 24-hour window.
  A request the fake refuses as impossible (an assertion in it) is answered 400 and noted in
  `violations`, which tests assert empty.
- `deliver_comment` POSTs a feed-comment webhook to Kalrav, signed as Meta signs it
  (X-Hub-Signature-256, HMAC-SHA256 of the raw body with the app secret).

Kalrav is pointed at it by its settings for Meta's addresses (KALRAV_META_GRAPH_URL,
KALRAV_META_DIALOG_URL): `settings_for` and `environment_for` give them.
"""

from __future__ import annotations

import asyncio
import html
import json
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar
from urllib.parse import parse_qs, urlencode

import httpx
import respx
import uvicorn
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from kalrav.connectors.networks.facebook.client import GRAPH_VERSION
from kalrav.connectors.networks.facebook.tests.fake import (
    APP_SECRET,
    FIXTURES,
    PAGE_ID,
    VERIFY_TOKEN,
    FakeGraph,
)
from kalrav.connectors.networks.facebook.webhooks import SIGNATURE_HEADER, signature
from kalrav.connectors.testing import recorded

APP_ID = "1234567890"  # the fake Graph's app
GRAPH = "https://graph.facebook.com"
NEEDED = frozenset({"pages_show_list", "pages_manage_posts", "pages_manage_engagement"})


class MetaStandIn:
    # The permissions the Login dialog insists on (an Instagram stand-in asks for its own).
    needed: frozenset[str] = NEEDED

    def __init__(self, latency: float = 0.0) -> None:
        # Seconds each POST /feed takes; the post is made halfway, so a sender killed in the
        # second half never hears of a post Meta has.
        self.latency = latency
        self.in_flight = 0  # posts made whose answer has not left yet
        self.unheard: list[str] = []  # posts made whose sender went away before the answer
        self.lock = threading.Lock()
        # Never started: the fake answers only what this app hands it.
        self.graph = FakeGraph(respx.MockRouter(assert_all_called=False))
        # Real time, in Meta's whole seconds: the fake's own clock runs half an hour behind,
        # which a reconcile against the wall clock (since=) would not find.
        self.graph.tick = lambda: datetime.now(UTC).replace(microsecond=0)  # type: ignore[method-assign]
        self.violations: list[str] = []
        self.url = ""

    # --- what tests do on the network ------------------------------------------------------------

    def comment(self, text: str, *, post_id: str) -> str:
        """A fan comments on a Page post; Meta then delivers the webhook (deliver_comment)."""
        with self.lock:
            return self.graph.receive(text, post_id=post_id)

    def deliver_comment(
        self, kalrav_url: str, comment_id: str, *, secret: str = APP_SECRET
    ) -> httpx.Response:
        """The feed webhook Meta sends for a new comment, signed with the app secret (another
        `secret` forges it)."""
        comment = self.graph.comments[comment_id]
        payload = recorded(FIXTURES, "webhook_feed_comment").body
        change = payload["entry"][0]["changes"][0]["value"]
        change.update(
            message=comment["message"],
            post_id=comment["post_id"],
            parent_id=comment["post_id"],
            comment_id=comment_id,
            created_time=int(time.time()),
        )
        change["post"]["id"] = comment["post_id"]
        payload["entry"][0].update(id=PAGE_ID, time=int(time.time()))
        body = json.dumps(payload).encode()
        return httpx.post(
            f"{kalrav_url}/hooks/networks/facebook/",
            content=body,
            headers={
                "Content-Type": "application/json",
                SIGNATURE_HEADER: signature(secret, body),
            },
            timeout=30,
        )

    # --- the ASGI app ----------------------------------------------------------------------------

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        body = await request.body()
        path = request.url.path
        if path == f"/{GRAPH_VERSION}/dialog/oauth":
            response = self._dialog(request, body)
        elif path.startswith(f"/{GRAPH_VERSION}/"):
            response = await self._slow_graph(request, body)
        else:  # www.facebook.com's own pages (a browser asks for /favicon.ico)
            response = HTMLResponse("<h1>This content isn't available</h1>", 404)
        await response(scope, receive, send)

    def _dialog(self, request: Request, body: bytes) -> Response:
        if request.method == "GET":
            query = dict(request.query_params)
            problem = _dialog_problem(query, self.needed)
            if problem:
                return HTMLResponse(f"<h1>Error</h1><p>{html.escape(problem)}</p>", 400)
            hidden = "".join(
                f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                for k, v in query.items()
            )
            return HTMLResponse(
                "<!doctype html><html lang='en'><head><title>Log in with Facebook</title></head>"
                "<body><main><h1>Kalrav is requesting access to your Pages</h1>"
                "<p>Chai Corner, চা ঘর</p>"
                f"<form method='post'>{hidden}"
                "<button type='submit' name='decision' value='allow'>Continue</button> "
                "<button type='submit' name='decision' value='deny'>Cancel</button>"
                "</form></main></body></html>"
            )
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        back = form.get("redirect_uri", "")
        if _dialog_problem(form, self.needed):
            return HTMLResponse("<h1>Error</h1>", 400)
        if form.get("decision") != "allow":
            query = {
                "error": "access_denied",
                "error_reason": "user_denied",
                "state": form["state"],
            }
            return RedirectResponse(f"{back}?{urlencode(query)}", 302)
        code = secrets.token_urlsafe(24)
        with self.lock:
            self.graph.codes.add(code)
        return RedirectResponse(f"{back}?{urlencode({'code': code, 'state': form['state']})}", 302)

    async def _slow_graph(self, request: Request, body: bytes) -> Response:
        posting = (
            bool(self.latency) and request.method == "POST" and request.url.path.endswith("/feed")
        )
        if not posting:
            return self._graph(request, body)
        await asyncio.sleep(self.latency / 2)
        response = self._graph(request, body)
        made = response.status_code == 200
        self.in_flight += made
        await asyncio.sleep(self.latency / 2)
        self.in_flight -= made
        if made and await request.is_disconnected():
            with self.lock:
                self.unheard.append(json.loads(bytes(response.body))["id"])
        return response

    def _graph(self, request: Request, body: bytes) -> Response:
        query = request.url.query
        graph_request = httpx.Request(
            request.method,
            f"{GRAPH}{request.url.path}" + (f"?{query}" if query else ""),
            headers=[(k, v) for k, v in request.headers.items() if k.lower() != "host"],
            content=body,
        )
        try:
            with self.lock:
                answer = self.graph._handle(graph_request)
        except AssertionError as broken:
            with self.lock:
                self.violations.append(f"{request.method} {request.url.path}: {broken}"[:2000])
            error = {"message": "Invalid request", "type": "OAuthException", "code": 100}
            return JSONResponse({"error": error}, 400)
        headers = {k: v for k, v in answer.headers.items() if k.lower().startswith("x-")}
        return Response(answer.content, answer.status_code, headers, "application/json")


def _dialog_problem(query: dict[str, str], needed: frozenset[str]) -> str:
    if query.get("client_id") != APP_ID:
        return "Invalid App ID"
    if query.get("response_type") != "code" or not query.get("state"):
        return "response_type=code and a state are required"
    if not query.get("redirect_uri"):
        return "URL blocked: no redirect_uri"
    if not set(query.get("scope", "").split(",")) >= needed and not query.get("config_id"):
        return "Kalrav did not ask for the permissions it needs"
    return ""


class Servable(Protocol):
    url: str

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None: ...


Served = TypeVar("Served", bound=Servable)


@contextmanager
def serving(standin: Served, **config: Any) -> Iterator[Served]:
    """The stand-in (or any ASGI app with a `url`) on a free loopback port, served by uvicorn in
    a thread; over https when `config` names a certificate (ssl_certfile, ssl_keyfile)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(
        uvicorn.Config(standin, log_level="warning", lifespan="off", access_log=False, **config)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    scheme = "https" if config.get("ssl_certfile") else "http"
    standin.url = f"{scheme}://127.0.0.1:{sock.getsockname()[1]}"
    try:
        yield standin
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def environment_for(standin: MetaStandIn) -> dict[str, str]:
    """The same as settings_for, as environment variables for worker processes."""
    return {
        "KALRAV_META_GRAPH_URL": standin.url,
        "KALRAV_META_DIALOG_URL": dialog_url(standin),
        "KALRAV_META_APP_ID": APP_ID,
        "KALRAV_META_APP_SECRET": APP_SECRET,
        "KALRAV_META_WEBHOOK_VERIFY_TOKEN": VERIFY_TOKEN,
        "KALRAV_ALLOW_PRIVATE_ADDRESSES": "true",
    }


def dialog_url(standin: MetaStandIn) -> str:
    return f"{standin.url}/{GRAPH_VERSION}/dialog/oauth"


def settings_for(standin: MetaStandIn) -> dict[str, Any]:
    return {
        "META_GRAPH_URL": standin.url,
        "META_DIALOG_URL": dialog_url(standin),
        "META_APP_ID": APP_ID,
        "META_APP_SECRET": APP_SECRET,
        "META_WEBHOOK_VERIFY_TOKEN": VERIFY_TOKEN,
        "META_LOGIN_CONFIG_ID": "",
        "ALLOW_PRIVATE_ADDRESSES": True,
    }
