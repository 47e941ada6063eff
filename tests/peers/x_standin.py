"""A stand-in X on loopback, for end-to-end tests: X cannot run here, so this ASGI app (Starlette,
served by uvicorn in a thread) plays the weakest real X that its contracts describe.

- OAuth 2.0 with PKCE: a sign-in page at /i/oauth2/authorize with an "Authorize app" button
  that sends the person back with code and state; /2/oauth2/token checks the operator's client
  (HTTP Basic), the redirect address and the S256 code_verifier, and a refresh token works once.
- The API: /2/users/me, POST /2/tweets with no idempotency (a repeat is a second post),
  DELETE /2/tweets/{id}, the account's posts and recent search for reconcile, mentions,
  chunked media upload; x-rate-limit-* headers on every answer, 429 once a window is spent.
- Every request is checked against X's own OpenAPI description and every answer against the
  response schema of its status (kalrav/connectors/networks/x/tests/openapi.py). A request
  that breaks the contract is answered 400 and noted in `violations`, which tests assert empty.

Posts are shown as X shows them (links shortened to t.co, `&` escaped), by the same rules as the
connector's unit-test fake. A post is stored before its answer leaves, after `latency`, so a
worker killed while waiting leaves a post it never heard about, as on X.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import hashlib
import html
import itertools
import json
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode

import httpx
import jsonschema
import uvicorn
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from kalrav.connectors.networks.x.tests.fake import FIXTURES, OWN_ID, _shown
from kalrav.connectors.networks.x.tests.openapi import (
    BASE,
    check_request,
    check_response,
    require_contract,
)
from kalrav.connectors.testing import recorded

CLIENT_ID = "kalrav-standin-client"
CLIENT_SECRET = "standin-operator-secret"
ACCESS_SECONDS = 7200
WINDOW = 900.0  # X's rate-limit window, 15 minutes
# Requests per window and user, as X's basic tier allows them (docs.x.com, rate limits).
LIMITS = {
    ("POST", "/2/tweets"): 100,
    ("GET", "/2/users/{id}/tweets"): 900,
    ("GET", "/2/users/{id}/mentions"): 180,
    ("GET", "/2/tweets/search/recent"): 450,
}
DEFAULT_LIMIT = 500


@dataclass
class Budget:
    limit: int
    remaining: int
    reset: float


@dataclass
class XStandIn:
    """The state of the stand-in X: one account (OWN_ID, @chaicorner), its posts, the fans'
    mentions, the grants. Tests read it directly; the server runs in the test's process."""

    latency: float = 0.0
    tweets: list[dict[str, Any]] = field(default_factory=list)
    mentions: list[dict[str, Any]] = field(default_factory=list)
    media: dict[str, dict[str, Any]] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)  # (method, template)
    unheard: list[str] = field(default_factory=list)  # posts made whose sender went away
    in_flight: int = 0  # posts made whose answer has not left yet
    url: str = ""

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.codes: dict[str, dict[str, str]] = {}  # code -> challenge, redirect_uri
        self.access: dict[str, float] = {}  # access token -> when it dies
        self.refresh: set[str] = set()  # refresh tokens not yet used
        self.used_refresh = 0
        self.fans: dict[str, str] = {}  # username -> account id
        self.budgets: dict[tuple[str, str], Budget] = {}
        self._ids = itertools.count(1_900_000_000_000_000_001)

    # --- what tests do on the network ------------------------------------------------------------

    def mention(self, text: str, *, reply_to: str = "", author: str = "asha_reads") -> str:
        """A fan's post mentioning the account (a reply to `reply_to` when given)."""
        fan = copy.deepcopy(recorded(FIXTURES, "mention").body["data"][0])
        fan.update(id=self._next_id(), text=text, created_at=_now())
        fan["conversation_id"] = reply_to or fan["id"]
        if reply_to:
            fan["referenced_posts"] = [{"type": "replied_to", "id": reply_to}]
        else:
            fan.pop("referenced_posts")
        fan["_author"] = author
        with self.lock:
            # Each fan's own account id, so two fans never share a name.
            fan["author_id"] = self.fans.setdefault(author, str(9_876_543_210 + len(self.fans)))
            self.mentions.append(fan)
        return str(fan["id"])

    def session(self) -> str:
        """A signed-in session for the account, as a channel keeps it (client.Tokens JSON),
        granted without the sign-in page: for tests that seed a channel directly."""
        access, renewal = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with self.lock:
            self.access[access] = time.time() + ACCESS_SECONDS
            self.refresh.add(renewal)
        return json.dumps(
            {
                "access_token": access,
                "refresh_token": renewal,
                "expires_at": time.time() + ACCESS_SECONDS,
                "user_id": OWN_ID,
            }
        )

    def posts_by_text(self) -> dict[str, int]:
        with self.lock:
            counts: dict[str, int] = {}
            for tweet in self.tweets:
                counts[tweet["sent"]] = counts.get(tweet["sent"], 0) + 1
            return counts

    def replies_to(self, post_id: str) -> list[dict[str, Any]]:
        with self.lock:
            return [
                t
                for t in self.tweets
                if (t.get("reply") or {}).get("in_reply_to_tweet_id") == post_id
            ]

    def _next_id(self) -> str:
        return str(next(self._ids))

    # --- the ASGI app ----------------------------------------------------------------------------

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        body = await request.body()
        path = request.url.path
        if path == "/i/oauth2/authorize":
            response = self._authorize(request, body)
        elif path == "/2/oauth2/token":
            response = self._token(request, body)
        elif path.startswith("/2/"):
            response = await self._api(request, body)
        else:  # x.com's own site (a browser asks for /favicon.ico): not the API
            response = HTMLResponse("<h1>This page doesn't exist</h1>", 404)
        await response(scope, receive, send)

    # --- OAuth 2.0 -------------------------------------------------------------------------------

    def _authorize(self, request: Request, body: bytes) -> Response:
        if request.method == "GET":
            query = dict(request.query_params)
            problem = _authorize_problem(query)
            if problem:
                return HTMLResponse(
                    f"<h1>Something went wrong</h1><p>{html.escape(problem)}</p>", 400
                )
            hidden = "".join(
                f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                for k, v in query.items()
            )
            return HTMLResponse(
                "<!doctype html><html lang='en'><head><title>Authorize app - X</title></head>"
                "<body><main><h1>Kalrav wants to access your X account</h1>"
                f"<p>Signed in as @chaicorner. Scopes: {html.escape(query['scope'])}</p>"
                f"<form method='post' action='/i/oauth2/authorize'>{hidden}"
                "<button type='submit' name='decision' value='allow'>Authorize app</button> "
                "<button type='submit' name='decision' value='deny'>Cancel</button>"
                "</form></main></body></html>"
            )
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        back = form.get("redirect_uri", "")
        if _authorize_problem(form) or not back:
            return HTMLResponse("<h1>Something went wrong</h1>", 400)
        if form.get("decision") != "allow":
            query = {"error": "access_denied", "state": form["state"]}
            return RedirectResponse(f"{back}?{urlencode(query)}", 302)
        code = secrets.token_urlsafe(24)
        with self.lock:
            self.codes[code] = {"challenge": form["code_challenge"], "redirect_uri": back}
        return RedirectResponse(f"{back}?{urlencode({'state': form['state'], 'code': code})}", 302)

    def _token(self, request: Request, body: bytes) -> Response:
        refused = recorded(FIXTURES, "token_refused")
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.method != "POST" or request.headers.get("authorization") != expected:
            return JSONResponse(
                {
                    "error": "unauthorized_client",
                    "error_description": "Missing valid authorization header",
                },
                401,
            )
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        with self.lock:
            if form.get("client_id") != CLIENT_ID:
                return JSONResponse(refused.body, 400)
            if form.get("grant_type") == "authorization_code":
                grant = self.codes.pop(form.get("code", ""), None)  # a code works once
                verifier = form.get("code_verifier", "")
                if (
                    grant is None
                    or grant["redirect_uri"] != form.get("redirect_uri")
                    or grant["challenge"] != _s256(verifier)
                ):
                    return JSONResponse(refused.body, 400)
            elif form.get("grant_type") == "refresh_token":
                if form.get("refresh_token") not in self.refresh:
                    return JSONResponse(refused.body, 400)  # used up, or never issued
                self.refresh.discard(form["refresh_token"])
                self.used_refresh += 1
            else:
                return JSONResponse(refused.body, 400)
            access, renewal = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
            self.access[access] = time.time() + ACCESS_SECONDS
            self.refresh.add(renewal)
        answer = copy.deepcopy(recorded(FIXTURES, "token").body)
        answer.update(access_token=access, refresh_token=renewal, expires_in=ACCESS_SECONDS)
        return JSONResponse(answer)

    # --- the API ---------------------------------------------------------------------------------

    async def _api(self, request: Request, body: bytes) -> Response:
        query = request.url.query
        contract_request = httpx.Request(
            request.method,
            f"{BASE}{request.url.path}" + (f"?{query}" if query else ""),
            headers=[(k, v) for k, v in request.headers.items() if k.lower() != "host"],
            content=body,
        )
        try:
            template = check_request(contract_request)
        except (AssertionError, jsonschema.ValidationError) as broken:
            return self._violation(f"{request.method} {request.url.path}: {broken}")
        with self.lock:
            self.requests.append((request.method, template))
        if self.latency:
            await asyncio.sleep(self.latency / 2)
        answer = self._answer(contract_request, template)
        if self.latency:
            # Stored already: a sender that dies now never learns its post was made.
            made = template == "/2/tweets" and answer.status_code == 201
            self.in_flight += made
            await asyncio.sleep(self.latency / 2)
            self.in_flight -= made
            if made and await request.is_disconnected():
                with self.lock:
                    self.unheard.append(answer.json()["data"]["id"])
        try:
            check_response(contract_request, answer)
        except (AssertionError, jsonschema.ValidationError) as broken:
            return self._violation(f"answer to {request.method} {template}: {broken}")
        headers = {k: v for k, v in answer.headers.items() if k.startswith("x-")}
        return Response(answer.content, answer.status_code, headers, "application/json")

    def _violation(self, what: str) -> Response:
        with self.lock:
            self.violations.append(what[:2000])
        problem = {
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": "https://api.x.com/2/problems/invalid-request",
            "errors": [{"message": what[:500]}],
        }
        return JSONResponse(problem, 400)

    def _answer(self, request: httpx.Request, template: str) -> httpx.Response:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        with self.lock:
            if self.access.get(token, 0) < time.time():
                return recorded(FIXTURES, "error_401").response()
            limited = self._spend((request.method, template))
            if limited is not None:
                return limited
            budget = self.budgets[(request.method, template)]
            answer = self._handle(request, template)
        answer.headers.update(
            {
                "x-rate-limit-limit": str(budget.limit),
                "x-rate-limit-remaining": str(budget.remaining),
                "x-rate-limit-reset": str(int(budget.reset)),
            }
        )
        return answer

    def _spend(self, key: tuple[str, str]) -> httpx.Response | None:
        now = time.time()
        budget = self.budgets.get(key)
        if budget is None or budget.reset <= now:
            limit = LIMITS.get(key, DEFAULT_LIMIT)
            budget = self.budgets[key] = Budget(limit, limit, now + WINDOW)
        if budget.remaining == 0:
            limited = recorded(FIXTURES, "rate_limited").response()
            limited.headers.update(
                {
                    "x-rate-limit-limit": str(budget.limit),
                    "x-rate-limit-reset": str(int(budget.reset)),
                }
            )
            return limited
        budget.remaining -= 1
        return None

    def _handle(self, request: httpx.Request, template: str) -> httpx.Response:
        method = request.method
        if (method, template) == ("POST", "/2/tweets"):
            return self._create(request)
        if (method, template) == ("DELETE", "/2/tweets/{id}"):
            gone = request.url.path.rsplit("/", 1)[1]
            before = len(self.tweets)
            self.tweets = [t for t in self.tweets if t["id"] != gone]
            return httpx.Response(200, json={"data": {"deleted": before != len(self.tweets)}})
        if template == "/2/users/me":
            return recorded(FIXTURES, "users_me").response()
        if template == "/2/users/{id}/tweets":
            if request.url.path.split("/")[3] != OWN_ID:
                return httpx.Response(200, json={"meta": {"result_count": 0}})
            return self._listing(request, [self._shown(t) for t in reversed(self.tweets)])
        if template == "/2/tweets/search/recent":
            return self._search(request)
        if template == "/2/users/{id}/mentions":
            return self._mentions(request)
        if template.startswith("/2/media"):
            return self._media(request, template)
        return httpx.Response(404, json={"title": "Not Found Error", "detail": template})

    def _create(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        for media_id in (body.get("media") or {}).get("media_ids", ()):
            if not self.media.get(media_id, {}).get("finalized"):
                return httpx.Response(400, json={"title": "Invalid Request", "detail": "media"})
        tweet = {"id": self._next_id(), "sent": body["text"], "created_at": _now(), **body}
        self.tweets.append(tweet)
        shown = _shown(tweet)[0]
        return httpx.Response(
            201,
            json={
                "data": {"id": tweet["id"], "text": shown, "edit_history_post_ids": [tweet["id"]]}
            },
        )

    def _shown(self, tweet: dict[str, Any]) -> dict[str, Any]:
        text, urls = _shown(tweet)
        post: dict[str, Any] = {"id": tweet["id"], "text": text, "author_id": OWN_ID}
        post.update(created_at=tweet["created_at"], conversation_id=tweet["id"], lang="en")
        if urls:
            post["entities"] = {"urls": urls}
        if tweet.get("reply"):
            parent = tweet["reply"]["in_reply_to_tweet_id"]
            post["referenced_posts"] = [{"type": "replied_to", "id": parent}]
        return post

    def _listing(self, request: httpx.Request, posts: list[dict[str, Any]]) -> httpx.Response:
        """Newest first, filtered by start_time and since_id, paged by max_results."""
        params = request.url.params
        start = params.get("start_time", "").replace("Z", ".000Z")
        since = int(params.get("since_id") or 0)
        posts = [p for p in posts if p["created_at"] >= start and int(p["id"]) > since]
        size = int(params.get("max_results") or 10)
        offset = int(params.get("pagination_token") or params.get("next_token") or 0)
        page = posts[offset : offset + size]
        meta: dict[str, Any] = {"result_count": len(page)}
        if page:
            meta.update(newest_id=page[0]["id"], oldest_id=page[-1]["id"])
        if offset + size < len(posts):
            meta["next_token"] = f"{offset + size:016d}"
        body: dict[str, Any] = {"meta": meta}
        if page:
            body["data"] = page
        return httpx.Response(200, json=body)

    def _search(self, request: httpx.Request) -> httpx.Response:
        """Only `from:chaicorner` and words: what a reconcile by search would send."""
        words = request.url.params.get("query", "").split()
        wanted = [w for w in words if not w.startswith("from:")]
        authors = {w[5:] for w in words if w.startswith("from:")}
        if authors and authors != {"chaicorner"}:
            return httpx.Response(200, json={"meta": {"result_count": 0}})
        posts = [self._shown(t) for t in reversed(self.tweets)]
        posts = [p for p in posts if all(w.lower() in p["text"].lower() for w in wanted)]
        return self._listing(request, posts)

    def _mentions(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.split("/")[3] != OWN_ID:
            return httpx.Response(200, json={"meta": {"result_count": 0}})
        posts = [{k: v for k, v in m.items() if k != "_author"} for m in reversed(self.mentions)]
        answer = self._listing(request, posts)
        body = answer.json()
        if body.get("data"):
            fans = recorded(FIXTURES, "mention").body["includes"]["users"][0]
            names = {m["author_id"]: m["_author"] for m in self.mentions}
            body["includes"] = {
                "users": [
                    {**fans, "id": author, "username": name} for author, name in names.items()
                ]
            }
        return httpx.Response(200, json=body)

    def _media(self, request: httpx.Request, template: str) -> httpx.Response:
        if template == "/2/media/upload/initialize":
            media_id = self._next_id()
            self.media[media_id] = {**json.loads(request.content), "got": 0, "finalized": False}
            answer = copy.deepcopy(recorded(FIXTURES, "media_initialized").body)
            answer["data"].update(id=media_id, media_key=f"3_{media_id}")
            return httpx.Response(200, json=answer)
        media_id = request.url.path.split("/")[4] if "{id}" in template else ""
        if template.endswith("/append"):
            self.media[media_id]["got"] += _part_size(request, "media")
            return httpx.Response(200, json={})
        if template.endswith("/finalize"):
            held = self.media[media_id]
            held["finalized"] = held["got"] == held["total_bytes"]
            answer = copy.deepcopy(recorded(FIXTURES, "media_finalized").body)
            answer["data"].update(id=media_id, media_key=f"3_{media_id}", size=held["got"])
            return httpx.Response(200, json=answer)
        if template == "/2/media/upload":
            media_id = request.url.params["media_id"]
            info = {"state": "succeeded", "progress_percent": 100}
            return httpx.Response(200, json={"data": {"id": media_id, "processing_info": info}})
        if template == "/2/media/metadata":
            body = json.loads(request.content)
            self.media[body["id"]]["alt"] = body["metadata"]["alt_text"]["text"]
            return httpx.Response(
                200, json={"data": {"id": body["id"], "associated_metadata": body["metadata"]}}
            )
        return httpx.Response(404, json={"title": "Not Found Error", "detail": template})


def _authorize_problem(query: dict[str, str]) -> str:
    if query.get("response_type") != "code":
        return "response_type must be code"
    if query.get("client_id") != CLIENT_ID:
        return "unknown client_id"
    if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
        return "PKCE with S256 is required"
    if not query.get("state"):
        return "state is required"
    if not {"tweet.write", "offline.access"} <= set(query.get("scope", "").split()):
        return "scope must include tweet.write and offline.access"
    return ""


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _part_size(request: httpx.Request, name: str) -> int:
    boundary = request.headers["content-type"].split("boundary=")[1].encode()
    for part in request.content.split(b"--" + boundary):
        if f'name="{name}"'.encode() in part:
            return len(part.split(b"\r\n\r\n", 1)[1].rsplit(b"\r\n", 1)[0])
    return 0


@contextmanager
def serving(standin: XStandIn) -> Iterator[XStandIn]:
    """The stand-in on a free loopback port, served by uvicorn in a thread, until the block ends.
    Skips (with the reason) when X's OpenAPI description, shared data, is absent."""
    require_contract()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(standin, log_level="warning", lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    standin.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    try:
        yield standin
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def settings_for(standin: XStandIn) -> dict[str, Any]:
    """The Kalrav settings that send the X connector to the stand-in."""
    return {
        "X_API_URL": standin.url,
        "X_AUTHORIZE_URL": f"{standin.url}/i/oauth2/authorize",
        "X_CLIENT_ID": CLIENT_ID,
        "X_CLIENT_SECRET": CLIENT_SECRET,
        "ALLOW_PRIVATE_ADDRESSES": True,
    }


def environment_for(standin: XStandIn) -> dict[str, str]:
    """The same, as environment variables for worker processes."""
    return {
        "KALRAV_X_API_URL": standin.url,
        "KALRAV_X_AUTHORIZE_URL": f"{standin.url}/i/oauth2/authorize",
        "KALRAV_X_CLIENT_ID": CLIENT_ID,
        "KALRAV_X_CLIENT_SECRET": CLIENT_SECRET,
        "KALRAV_ALLOW_PRIVATE_ADDRESSES": "true",
    }
