"""A fake X API built from the recorded answers in fixtures/, behaving like X and no better: no
idempotency key, every POST /2/tweets is a new post, a refresh token works once, a revoked grant
refuses the refresh too, links come back shortened to t.co and `&` as `&amp;`. Every request and
every answer is checked against X's OpenAPI description (openapi.py)."""

from __future__ import annotations

import base64
import copy
import hashlib
import html
import itertools
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import respx
from django.test import override_settings

from kalrav.connectors.base import ConnectorContext
from kalrav.connectors.networks.x.client import Tokens
from kalrav.connectors.networks.x.connector import XConnector
from kalrav.connectors.networks.x.tests.openapi import BASE, check_request, check_response
from kalrav.connectors.sessions import KeptInMemory
from kalrav.connectors.testing import Held, recorded

FIXTURES = Path(__file__).parent / "fixtures"
OWN_ID = "2244994945"
CLIENT_ID = "kalrav-test-client"
HTTP_OPTIONS = {"resolver": lambda host, port: ["104.244.42.1"], "sleep": lambda seconds: None}


@contextmanager
def operator_app() -> Iterator[None]:
    with override_settings(X_CLIENT_ID=CLIENT_ID, X_CLIENT_SECRET="operator-secret"):
        yield


class FakeX:
    def __init__(self, router: respx.MockRouter) -> None:
        self.router = router
        self.tweets: list[dict[str, Any]] = []
        self.mentions: list[dict[str, Any]] = []
        self.media: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str]] = []  # (method, operation template)
        self.refreshes = 0
        self.revoked = False
        self.processing_polls = 0  # STATUS answers "in_progress" this many times
        self.codes: dict[str, str] = {}  # authorization code -> PKCE challenge
        self.rate_headers = dict(recorded(FIXTURES, "mention").headers)
        self._next_answer: httpx.Response | None = None
        self._lose_next = False
        self._ids = itertools.count(1_800_000_000_000_000_001)
        self._serial = itertools.count(2)
        self.access, self.refresh = "access-1", "refresh-1"
        self.dms: list[dict[str, Any]] = []  # direct message events, oldest first
        self.dm_access = True  # False: the app's access level has no direct messages
        self.subscriptions: list[str] = []  # Account Activity webhooks the account is on
        self.metrics: dict[str, dict[str, Any]] = {}  # post id -> its figures, by group
        self.daily_headers: dict[str, str] = {}  # x-user-limit-24hour-* on POST /2/tweets
        router.route(host="api.x.com").mock(side_effect=self._handle)

    # --- what the contract test asks -----------------------------------------------------------

    @property
    def posts(self) -> list[Held]:
        return [Held(tweet["id"], tweet["sent"]) for tweet in self.tweets]

    def session(self) -> str:
        return Tokens(
            self.access, self.refresh, datetime.now(UTC).timestamp() + 7200, OWN_ID
        ).encode()

    def connector(self, keeper: KeptInMemory | None = None, **options: Any) -> XConnector:
        return XConnector(
            ConnectorContext(
                channel_id=7,
                config={"user_id": OWN_ID},
                credentials={"session": self.session()},
                account_id=OWN_ID,
                sessions=keeper or KeptInMemory(self.session()),
            ),
            http_options=HTTP_OPTIONS,
            read_media=lambda item: b"\x89PNG" + item.source.encode() * 100,
            sleep=lambda seconds: None,
            **options,
        )

    def answer_next_write(self, fixture: str) -> None:
        self._next_answer = recorded(FIXTURES, fixture).response()
        if fixture == "error_401":
            self.revoked = True  # a 401 before the token's end: the person revoked Kalrav

    def lose_next_answer(self) -> None:
        self._lose_next = True

    def receive(self, text: str, *, reply_to: str = "") -> str:
        mention = copy.deepcopy(recorded(FIXTURES, "mention").body["data"][0])
        mention.update(id=str(next(self._ids)), text=text, created_at=_now())
        if reply_to:
            mention["referenced_posts"] = [{"type": "replied_to", "id": reply_to}]
        else:
            mention.pop("referenced_posts")
        self.mentions.append(mention)
        return mention["id"]

    # --- the server ------------------------------------------------------------------------------

    def _handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/2/oauth2/token":
            return self._token(request)  # the token endpoint is not in the OpenAPI description
        template = check_request(request)
        self.requests.append((request.method, template))
        if request.headers.get("authorization") != f"Bearer {self.access}" or self.revoked:
            return check_response(request, recorded(FIXTURES, "error_401").response())
        response = self._answer(request, template)
        return check_response(request, response)

    def _answer(self, request: httpx.Request, template: str) -> httpx.Response:
        method = request.method
        if (method, template) == ("POST", "/2/tweets"):
            return self._create(request)
        if (method, template) == ("DELETE", "/2/tweets/{id}"):
            before = len(self.tweets)
            self.tweets = [t for t in self.tweets if t["id"] != request.url.path.rsplit("/", 1)[1]]
            return httpx.Response(200, json={"data": {"deleted": before != len(self.tweets)}})
        if template == "/2/users/me":
            answer = recorded(FIXTURES, "users_me").response()
            if "public_metrics" in request.url.params.get("user.fields", ""):
                body = json.loads(answer.content)
                body["data"]["public_metrics"] = USER_FIGURES
                return httpx.Response(200, json=body)
            return answer
        if template == "/2/users/{id}/tweets":
            return self._timeline(request)
        if template == "/2/users/{id}/mentions":
            return self._mentions(request)
        if template.startswith("/2/media"):
            return self._media(request, template)
        if template.startswith(("/2/dm_events", "/2/dm_conversations")):
            return self._messages(request, template)
        if (method, template) == ("GET", "/2/tweets"):
            return self._lookup(request)
        if template == "/2/account_activity/webhooks/{webhook_id}/subscriptions/all":
            webhook = request.url.path.split("/")[4]
            if not self.dm_access:
                return httpx.Response(403, json={"code": 453, "message": "Not on this level."})
            if webhook in self.subscriptions:
                return httpx.Response(
                    409, json={"code": 355, "message": "Subscription already exists."}
                )
            self.subscriptions.append(webhook)
            return httpx.Response(200, json={"data": {"subscribed": True}})
        raise AssertionError(f"the fake does not answer {method} {template}")

    def _create(self, request: httpx.Request) -> httpx.Response:
        if self._next_answer is not None:
            answer, self._next_answer = self._next_answer, None
            return answer
        body = json.loads(request.content)
        for media_id in (body.get("media") or {}).get("media_ids", ()):
            assert self.media[media_id]["finalized"], "media attached before FINALIZE"
        tweet = {"id": str(next(self._ids)), "sent": body["text"], "created_at": _now(), **body}
        self.tweets.append(tweet)
        if self._lose_next:
            self._lose_next = False
            raise httpx.ReadTimeout("answer lost", request=request)
        created = recorded(FIXTURES, "post_created")
        answer = created.response({"data": {"id": tweet["id"], "text": _shown(tweet)[0]}})
        answer.headers.update(self.daily_headers)
        return answer

    def _timeline(self, request: httpx.Request) -> httpx.Response:
        start = request.url.params.get("start_time", "")
        posts = []
        for tweet in reversed(self.tweets):  # newest first, as X lists them
            if start and tweet["created_at"] < start.replace("Z", ".000Z"):
                continue
            text, urls = _shown(tweet)
            post: dict[str, Any] = {"id": tweet["id"], "text": text, "author_id": OWN_ID}
            post["created_at"] = tweet["created_at"]
            if urls:
                post["entities"] = {"urls": urls}
            if tweet.get("reply"):
                post["referenced_posts"] = [
                    {"type": "replied_to", "id": tweet["reply"]["in_reply_to_tweet_id"]}
                ]
            posts.append(post)
        return httpx.Response(200, json={"data": posts, "meta": {"result_count": len(posts)}})

    def _mentions(self, request: httpx.Request) -> httpx.Response:
        since = int(request.url.params.get("since_id") or 0)
        found = [m for m in reversed(self.mentions) if int(m["id"]) > since]
        found = found[: int(request.url.params.get("max_results") or 10)]
        users = recorded(FIXTURES, "mention").body["includes"]["users"]
        body: dict[str, Any] = {"meta": {"result_count": len(found)}}
        if found:
            body.update(data=found, includes={"users": users})
            body["meta"].update(newest_id=found[0]["id"], oldest_id=found[-1]["id"])
        return httpx.Response(200, json=body, headers=self.rate_headers)

    def _media(self, request: httpx.Request, template: str) -> httpx.Response:
        if template == "/2/media/upload/initialize":
            media_id = str(next(self._ids))
            self.media[media_id] = {**json.loads(request.content), "got": 0, "finalized": False}
            answer = copy.deepcopy(recorded(FIXTURES, "media_initialized").body)
            answer["data"].update(id=media_id, media_key=f"3_{media_id}")
            return httpx.Response(200, json=answer)
        media_id = request.url.path.split("/")[4] if "{id}" in template else ""
        if template.endswith("/append"):
            self.media[media_id]["got"] += len(_part(request, "media"))
            return httpx.Response(200, json={})
        if template.endswith("/finalize"):
            held = self.media[media_id]
            assert held["got"] == held["total_bytes"], "finalized before every byte arrived"
            held["finalized"] = self.processing_polls == 0
            answer = copy.deepcopy(recorded(FIXTURES, "media_finalized").body)
            answer["data"].update(id=media_id, size=held["got"])
            if self.processing_polls:
                answer["data"]["processing_info"] = {"state": "pending", "check_after_secs": 1}
            return httpx.Response(200, json=answer)
        if template == "/2/media/upload":
            media_id = request.url.params["media_id"]
            self.processing_polls -= 1
            state = "in_progress" if self.processing_polls > 0 else "succeeded"
            self.media[media_id]["finalized"] = state == "succeeded"
            info = {"state": state, "check_after_secs": 2, "progress_percent": 50}
            return httpx.Response(200, json={"data": {"id": media_id, "processing_info": info}})
        if template == "/2/media/metadata":
            body = json.loads(request.content)
            self.media[body["id"]]["alt"] = body["metadata"]["alt_text"]["text"]
            return httpx.Response(
                200, json={"data": {"id": body["id"], "associated_metadata": body["metadata"]}}
            )
        raise AssertionError(template)

    # --- direct messages and figures ------------------------------------------------------------

    def receive_dm(self, text: str, *, sender: str = "9876543210") -> str:
        event = {
            "id": str(next(self._ids)),
            "event_type": "MessageCreate",
            "text": text,
            "sender_id": sender,
            "dm_conversation_id": _pair(sender, OWN_ID),
            "created_at": _now(),
        }
        self.dms.append(event)
        return event["id"]

    def _messages(self, request: httpx.Request, template: str) -> httpx.Response:
        if not self.dm_access:
            return httpx.Response(
                403,
                json={
                    "code": 453,
                    "message": "You currently have access to a subset of X API "
                    "V2 endpoints and limited v1.1 endpoints only.",
                },
            )
        if request.method == "POST":
            if template.startswith("/2/dm_conversations/with/"):
                conversation = _pair(request.url.path.split("/")[4], OWN_ID)
            else:
                conversation = request.url.path.split("/")[3]
            event = {
                "id": str(next(self._ids)),
                "event_type": "MessageCreate",
                "text": json.loads(request.content)["text"],
                "sender_id": OWN_ID,
                "dm_conversation_id": conversation,
                "created_at": _now(),
            }
            self.dms.append(event)
            if self._lose_next:
                self._lose_next = False
                raise httpx.ReadTimeout("answer lost", request=request)
            data = {"dm_conversation_id": conversation, "dm_event_id": event["id"]}
            return httpx.Response(201, json={"data": data})
        events = list(reversed(self.dms))  # newest first, as X lists them
        if template == "/2/dm_conversations/{id}/dm_events":
            wanted = request.url.path.split("/")[3]
            events = [e for e in events if e["dm_conversation_id"] == wanted]
        start = int(request.url.params.get("pagination_token", "0" * 16))
        size = int(request.url.params.get("max_results") or 100)
        page = events[start : start + size]
        users = recorded(FIXTURES, "mention").body["includes"]["users"]
        body: dict[str, Any] = {"data": page, "meta": {"result_count": len(page)}}
        if page:
            body["includes"] = {"users": users}
        if start + size < len(events):
            body["meta"]["next_token"] = f"{start + size:016d}"
        return httpx.Response(200, json=body, headers=self.rate_headers)

    def _lookup(self, request: httpx.Request) -> httpx.Response:
        """X gives the private figures only for the account's posts under 30 days old; for
        others the post is left out and an error names it."""
        fields = request.url.params.get("post.fields", "").split(",")
        private = "non_public_metrics" in fields or "organic_metrics" in fields
        data, errors = [], []
        for post_id in request.url.params["ids"].split(","):
            figures = self.metrics.get(post_id)
            if figures is None:
                continue
            if private and (figures["author_id"] != OWN_ID or figures["age_days"] >= 30):
                errors.append(
                    {
                        "type": "https://api.x.com/2/problems/not-authorized-for-field",
                        "title": "Field Authorization Error",
                        "detail": "Sorry, you are not authorized to access non_public_metrics.",
                        "field": "non_public_metrics",
                        "resource_id": post_id,
                        "resource_type": "tweet",
                    }
                )
                continue
            post = {"id": post_id, "text": "x", "public_metrics": figures["public_metrics"]}
            for group in ("non_public_metrics", "organic_metrics"):
                if group in fields:
                    post[group] = figures[group]
            data.append(post)
        body: dict[str, Any] = {"data": data}
        if errors:
            body["errors"] = errors
        return httpx.Response(200, json=body)

    def grant(self, challenge: str) -> str:
        code = f"code-{len(self.codes)}"
        self.codes[code] = challenge
        return code

    def _token(self, request: httpx.Request) -> httpx.Response:
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        secret = base64.b64encode(f"{CLIENT_ID}:operator-secret".encode()).decode()
        assert request.headers.get("authorization") == f"Basic {secret}"
        assert form["client_id"] == CLIENT_ID
        if form["grant_type"] == "authorization_code":
            challenge = self.codes.pop(form["code"], None)
            digest = hashlib.sha256(form["code_verifier"].encode()).digest()
            if challenge != base64.urlsafe_b64encode(digest).rstrip(b"=").decode():
                return recorded(FIXTURES, "token_refused").response()
        elif self.revoked or form.get("refresh_token") != self.refresh:
            return recorded(FIXTURES, "token_refused").response()  # used up, or revoked
        self.refreshes += form["grant_type"] == "refresh_token"
        serial = next(self._serial)
        self.access, self.refresh = f"access-{serial}", f"refresh-{serial}"
        answer = copy.deepcopy(recorded(FIXTURES, "token").body)
        answer.update(access_token=self.access, refresh_token=self.refresh)
        return httpx.Response(200, json=answer)


USER_FIGURES = {
    "followers_count": 1520,
    "following_count": 88,
    "post_count": 431,
    "listed_count": 7,
}


def _pair(a: str, b: str) -> str:
    low, high = sorted((a, b), key=int)
    return f"{low}-{high}"


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


_LINK = re.compile(r"https?://\S+")


def _shown(tweet: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """The text as X shows it: links shortened to t.co, a link to the media appended, escaped."""
    text, urls = "", []
    position = 0
    sent = tweet["sent"]
    for match in _LINK.finditer(sent):
        text += sent[position : match.start()]
        short = f"https://t.co/{len(urls):010d}"
        urls.append(
            {
                "start": len(text),
                "end": len(text) + len(short),
                "url": short,
                "expanded_url": match.group(),
            }
        )
        text += short
        position = match.end()
    text += sent[position:]
    if tweet.get("media"):
        short = "https://t.co/media00000"
        text += " "
        urls.append(
            {"start": len(text), "end": len(text) + len(short), "url": short, "media_key": "3_1"}
        )
        text += short
    # Escaping lengthens the text: entity offsets are of the unescaped text, as X counts them.
    return html.escape(text, quote=False), urls


def _part(request: httpx.Request, name: str) -> bytes:
    boundary = request.headers["content-type"].split("boundary=")[1].encode()
    for part in request.content.split(b"--" + boundary):
        if f'name="{name}"'.encode() in part:
            return part.split(b"\r\n\r\n", 1)[1].rsplit(b"\r\n", 1)[0]
    raise AssertionError(f"no {name} part")


__all__ = ["BASE", "FakeX", "operator_app"]
