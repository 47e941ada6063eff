"""A fake Graph API for one Facebook Page, built from the recorded answers in fixtures/ (each
names the reference page it follows), behaving like Meta and no better: no idempotency key
(every POST /feed is a new post), errors as HTTP 400 with Meta's `error` object, usage headers on
every answer, a token refused once revoked, appsecret_proof required ("Require App Secret" on),
comments whose `from` is left out of webhooks, and the 24-hour Messenger window enforced."""

from __future__ import annotations

import copy
import itertools
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import respx
from django.test import override_settings

from kalrav.connectors.base import ConnectorContext
from kalrav.connectors.networks.facebook.client import GRAPH_VERSION, appsecret_proof
from kalrav.connectors.networks.facebook.connector import FacebookConnector
from kalrav.connectors.testing import Held, recorded

FIXTURES = Path(__file__).parent / "fixtures"
PAGE_ID = "104000000000001"
PAGE_TOKEN = "EAApage1"
APP_SECRET = "fake-app-secret"
VERIFY_TOKEN = "fake-verify-token"
HTTP_OPTIONS = {"resolver": lambda host, port: ["157.240.1.35"]}
PREFIX = f"/{GRAPH_VERSION}/"


@contextmanager
def meta_app() -> Iterator[None]:
    with override_settings(
        META_APP_ID="1234567890",
        META_APP_SECRET=APP_SECRET,
        META_WEBHOOK_VERIFY_TOKEN=VERIFY_TOKEN,
        META_LOGIN_CONFIG_ID="",
    ):
        yield


def fixture(name: str) -> Any:
    return copy.deepcopy(recorded(FIXTURES, name).body)


def graph_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


class FakeGraph:
    def __init__(self, router: respx.MockRouter) -> None:
        self.router = router
        self.feed: list[dict[str, Any]] = []  # newest last
        self.photos: dict[str, bytes] = {}
        self.comments: dict[str, dict[str, Any]] = {}
        self.messages: list[dict[str, Any]] = []  # from people to the Page
        self.sent: list[dict[str, Any]] = []  # Send API calls the Page made
        self.videos: dict[str, dict[str, Any]] = {}
        self.hidden: set[str] = set()
        self.liked: set[str] = set()
        self.subscribed: list[str] = []
        self.requests: list[tuple[str, str]] = []
        self.revoked = False
        self.metrics_retired = False  # Meta answers post insights with "invalid metric"
        self.codes = {"good-code"}
        self.usage = {"call_count": 3, "total_cputime": 1, "total_time": 2}
        self._next_answer: httpx.Response | None = None
        self._lose_next = False
        self._ids = itertools.count(900_000_000_000_101)
        self._clock = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
        router.route(host="graph.facebook.com").mock(side_effect=self._handle)
        router.route(host="rupload.facebook.com").mock(side_effect=self._rupload)

    # --- what the contract test asks -----------------------------------------------------------

    @property
    def posts(self) -> list[Held]:
        return [Held(post["id"], post.get("message", "")) for post in self.feed]

    def connector(self, **options: Any) -> FacebookConnector:
        return FacebookConnector(
            ConnectorContext(
                channel_id=7,
                config={"page_id": PAGE_ID},
                credentials={"page_token": PAGE_TOKEN},
                account_id=PAGE_ID,
            ),
            http_options=HTTP_OPTIONS,
            sleep=lambda seconds: None,
            read_media=lambda item: b"\x89PNG" + item.source.encode() * 40,
            **options,
        )

    def answer_next_write(self, name: str) -> None:
        self._next_answer = recorded(FIXTURES, name).response()

    def lose_next_answer(self) -> None:
        self._lose_next = True

    def tick(self) -> datetime:
        """Meta's times are whole seconds; each event here is one second after the last."""
        self._clock += timedelta(seconds=1)
        return self._clock

    def receive(self, text: str, *, post_id: str = "", author: str = "6100000000000077") -> str:
        """Someone comments on the Page's newest post (one is made when there is none)."""
        if not post_id:
            if not self.feed:
                self._add_post({"message": "Open today"})
            post_id = self.feed[-1]["id"]
        comment_id = f"{post_id.split('_')[-1]}_{next(self._ids)}"
        self.comments[comment_id] = {
            "id": comment_id,
            "message": text,
            "created_time": graph_time(self.tick()),
            "from": {"id": author, "name": "Asha Rao"},
            "post_id": post_id,
            "permalink_url": f"https://www.facebook.com/{post_id}?comment_id={comment_id}",
        }
        return comment_id

    def message(
        self, text: str, *, sender: str = "6200000000000088", age: timedelta | None = None
    ) -> str:
        mid = f"m_{next(self._ids)}"
        moment = self.tick() if age is None else datetime.now(UTC) - age
        self.messages.append(
            {
                "id": mid,
                "message": text,
                "created_time": graph_time(moment),
                "from": {"id": sender, "name": "Nikos P."},
            }
        )
        return mid

    # --- the server ----------------------------------------------------------------------------

    def _answer(
        self, status: int, body: Any, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        sent = {**(headers or {}), "X-App-Usage": json.dumps(self.usage)}
        return httpx.Response(status, json=body, headers=sent)

    def _error(self, name: str) -> httpx.Response:
        found = recorded(FIXTURES, name)
        return self._answer(found.status or 400, found.body, dict(found.headers))

    def _form(self, request: httpx.Request) -> dict[str, str]:
        kind = request.headers.get("content-type", "")
        if kind.startswith("multipart/form-data"):
            fields: dict[str, str] = {}
            for part in request.content.split(b"--" + kind.split("boundary=")[1].encode()):
                named = re.search(
                    rb'name="([^"]+)"(?:; filename="[^"]*")?\r\n(?:[^\r\n]+\r\n)*\r\n(.*)\r\n$',
                    part,
                    re.S,
                )
                if named:
                    fields[named.group(1).decode()] = named.group(2).decode("latin-1")
            return fields
        return {key: values[-1] for key, values in parse_qs(request.content.decode()).items()}

    def _authorized(self, request: httpx.Request, token: str) -> httpx.Response | None:
        if self.revoked:
            return self._error("error_revoked")
        if request.headers.get("Authorization") != f"Bearer {token}":
            return self._error("error_401")
        proof = request.url.params.get("appsecret_proof")
        if proof != appsecret_proof(token, APP_SECRET):
            return self._answer(
                400,
                {
                    "error": {
                        "message": "appsecret_proof argument must be passed",
                        "type": "GraphMethodException",
                        "code": 100,
                    }
                },
            )
        return None

    def _handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        assert path.startswith(PREFIX), f"unversioned Graph call {path}"
        path = path[len(PREFIX) :]
        self.requests.append((request.method, path))
        if path == "oauth/access_token":
            return self._token(request)
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        user_call = token.startswith("EAAlong")
        refused = self._authorized(request, "EAAlonglived" if user_call else PAGE_TOKEN)
        if refused is not None:
            return refused
        if request.method != "GET" and self._next_answer is not None:
            answer, self._next_answer = self._next_answer, None
            return answer
        if user_call and path == "me/accounts":
            return self._answer(200, fixture("me_accounts"))
        answer = self._route(request, path)
        if self._lose_next and request.method == "POST" and path.endswith("/feed"):
            self._lose_next = False
            raise httpx.ReadTimeout("the answer never came", request=request)
        return answer

    def _token(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        assert params.get("client_secret") == APP_SECRET
        if params.get("grant_type") == "fb_exchange_token":
            assert params.get("fb_exchange_token") == "EAAshort"
            return self._answer(200, fixture("token_long"))
        if params.get("code") not in self.codes:
            return self._error("code_refused")
        self.codes.discard(params["code"])  # a code is good once
        return self._answer(200, fixture("token_short"))

    def _route(self, request: httpx.Request, path: str) -> httpx.Response:
        method, parts = request.method, path.split("/")
        form = self._form(request) if method == "POST" else {}
        params = request.url.params
        if path == "me" or (
            method == "GET"
            and path == PAGE_ID
            and "followers_count" not in params.get("fields", "")
        ):
            return self._answer(200, fixture("page"))
        if path == PAGE_ID:
            return self._answer(200, fixture("page_counts"))
        if parts[-1] == "subscribed_apps":
            self.subscribed.append(form.get("subscribed_fields", ""))
            return self._answer(200, fixture("subscribed"))
        if parts == [PAGE_ID, "photos"]:
            photo_id = str(next(self._ids))
            assert form.get("published") == "false"
            self.photos[photo_id] = form["source"].encode("latin-1")
            return self._answer(200, {"id": photo_id})
        if parts == [PAGE_ID, "feed"] and method == "POST":
            return self._post(form)
        if parts == [PAGE_ID, "feed"]:
            return self._answer(200, {"data": self._feed_with_comments()})
        if parts == [PAGE_ID, "published_posts"]:
            since = int(params.get("since", "0"))
            found = [
                {
                    key: post[key]
                    for key in ("id", "message", "created_time", "permalink_url")
                    if key in post
                }
                for post in reversed(self.feed)
                if datetime.strptime(post["created_time"], "%Y-%m-%dT%H:%M:%S%z").timestamp()
                >= since
            ]
            return self._answer(200, {"data": found})
        if parts == [PAGE_ID, "videos"]:
            return self._video(form)
        if parts == [PAGE_ID, "video_reels"]:
            return self._reel(form)
        if parts == [PAGE_ID, "messages"]:
            return self._send(form)
        if parts == [PAGE_ID, "conversations"]:
            return self._answer(
                200, {"data": [{"id": "t_1", "messages": {"data": list(reversed(self.messages))}}]}
            )
        if parts == [PAGE_ID, "insights"]:
            return self._answer(200, fixture("page_insights"))
        if len(parts) == 2 and parts[1] == "insights":
            if self.metrics_retired:
                return self._answer(
                    400,
                    {
                        "error": {
                            "message": "(#100) The value must be a valid insights metric",
                            "type": "OAuthException",
                            "code": 100,
                        }
                    },
                )
            return self._answer(200, fixture("post_insights"))
        if len(parts) == 2 and parts[1] == "comments" and method == "POST":
            return self._comment(parts[0], form)
        if len(parts) == 2 and parts[1] == "likes":
            (self.liked.add if method == "POST" else self.liked.discard)(parts[0])
            return self._answer(200, {"success": True})
        if len(parts) == 1 and method == "DELETE":
            gone = self.comments.pop(parts[0], None) or self._remove_post(parts[0])
            return self._answer(200, {"success": True}) if gone else self._error("error_missing")
        if len(parts) == 1 and method == "POST":
            if parts[0] not in self.comments:
                return self._error("error_missing")
            (self.hidden.add if form.get("is_hidden") == "true" else self.hidden.discard)(parts[0])
            return self._answer(200, {"success": True})
        if len(parts) == 1 and parts[0] in self.comments:
            return self._answer(200, self._comment_view(self.comments[parts[0]]))
        if len(parts) == 1 and parts[0].startswith("62"):
            return self._answer(200, fixture("user_profile"))
        if len(parts) == 1 and "_" in parts[0] and "shares" in params.get("fields", ""):
            return self._answer(200, fixture("post_counts"))
        return self._error("error_missing")

    def _add_post(self, form: dict[str, str]) -> dict[str, Any]:
        post_id = f"{PAGE_ID}_{next(self._ids)}"
        post = {
            "id": post_id,
            "created_time": graph_time(self.tick()),
            "permalink_url": f"https://www.facebook.com/{PAGE_ID}/posts/{post_id.split('_')[1]}",
            "sent": dict(form),
        }
        if form.get("message"):
            # Meta trims what it keeps.
            post["message"] = form["message"].strip()
        self.feed.append(post)
        return post

    def _post(self, form: dict[str, str]) -> httpx.Response:
        attached = json.loads(form.get("attached_media", "[]"))
        if len(attached) > 10:
            return self._error("error_refused")
        for media in attached:
            if media.get("media_fbid") not in self.photos:
                return self._error("error_missing")
        if not form.get("message") and not attached and not form.get("link"):
            return self._error("error_refused")
        post = self._add_post(form)
        return self._answer(
            200, {"id": post["id"]}, dict(recorded(FIXTURES, "feed_created").headers)
        )

    def _remove_post(self, post_id: str) -> bool:
        before = len(self.feed)
        self.feed = [post for post in self.feed if post["id"] != post_id]
        return len(self.feed) < before

    def _comment(self, parent: str, form: dict[str, str]) -> httpx.Response:
        post_id = (
            parent
            if "_" in parent and parent.startswith(PAGE_ID)
            else self.comments.get(parent, {}).get("post_id")
        )
        if not post_id or (
            parent.startswith(PAGE_ID) and not any(p["id"] == parent for p in self.feed)
        ):
            return self._error("error_missing")
        comment_id = f"{post_id.split('_')[1]}_{next(self._ids)}"
        self.comments[comment_id] = {
            "id": comment_id,
            "message": form["message"],
            "created_time": graph_time(self.tick()),
            "from": {"id": PAGE_ID, "name": "Chai Corner"},
            "post_id": post_id,
            **({"parent": {"id": parent}} if parent in self.comments else {}),
        }
        return self._answer(200, {"id": comment_id})

    def _comment_view(self, comment: dict[str, Any]) -> dict[str, Any]:
        return {key: value for key, value in comment.items() if key != "post_id"}

    def _feed_with_comments(self) -> list[dict[str, Any]]:
        posts = []
        for post in reversed(self.feed[-25:]):
            mine = [
                self._comment_view(c) for c in self.comments.values() if c["post_id"] == post["id"]
            ]
            posts.append({"id": post["id"], "comments": {"data": list(reversed(mine))}})
        return posts

    def _send(self, form: dict[str, str]) -> httpx.Response:
        recipient = json.loads(form["recipient"])
        if "comment_id" in recipient:
            if recipient["comment_id"] not in self.comments:
                return self._error("error_missing")
        else:
            assert form.get("messaging_type") == "RESPONSE"
            theirs = [m for m in self.messages if m["from"]["id"] == recipient["id"]]
            last = max(
                (datetime.strptime(m["created_time"], "%Y-%m-%dT%H:%M:%S%z") for m in theirs),
                default=None,
            )
            if last is None or datetime.now(UTC) - last > timedelta(hours=24):
                return self._error("error_window_closed")
        self.sent.append({"recipient": recipient, "message": json.loads(form["message"])})
        return self._answer(200, fixture("message_sent"))

    def _video(self, form: dict[str, str]) -> httpx.Response:
        phase = form["upload_phase"]
        if phase == "start":
            video_id = str(next(self._ids))
            size = int(form["file_size"])
            self.videos[video_id] = {"size": size, "data": b"", "session": f"s{video_id}"}
            chunk = min(size, 16)  # Meta picks the chunk size; small here to make several
            return self._answer(
                200,
                {
                    "video_id": video_id,
                    "start_offset": "0",
                    "end_offset": str(chunk),
                    "upload_session_id": f"s{video_id}",
                },
            )
        video = next(v for v in self.videos.values() if v["session"] == form["upload_session_id"])
        if phase == "transfer":
            assert int(form["start_offset"]) == len(video["data"])
            video["data"] += form["video_file_chunk"].encode("latin-1")
            start = len(video["data"])
            return self._answer(
                200, {"start_offset": str(start), "end_offset": str(min(video["size"], start + 16))}
            )
        assert len(video["data"]) == video["size"], "finish before every byte arrived"
        video["description"] = form.get("description", "")
        video["published"] = True
        return self._answer(200, fixture("video_finished"))

    def _reel(self, form: dict[str, str]) -> httpx.Response:
        if form["upload_phase"] == "start":
            video_id = str(next(self._ids))
            self.videos[video_id] = {"data": b"", "reel": True}
            return self._answer(
                200,
                {
                    "video_id": video_id,
                    "upload_url": f"https://rupload.facebook.com/video-upload/{GRAPH_VERSION}/{video_id}",
                },
            )
        video = self.videos[form["video_id"]]
        if not video["data"]:
            return self._error("error_refused")
        assert form["video_state"] == "PUBLISHED"
        video["description"] = form.get("description", "")
        video["published"] = True
        return self._answer(200, {"success": True, "post_id": f"{PAGE_ID}_{form['video_id']}"})

    def _rupload(self, request: httpx.Request) -> httpx.Response:
        video_id = request.url.path.rsplit("/", 1)[-1]
        if request.headers.get("Authorization") != f"OAuth {PAGE_TOKEN}":
            return self._error("error_401")
        assert request.headers["offset"] == "0"
        assert int(request.headers["file_size"]) == len(request.content)
        self.videos[video_id]["data"] = request.content
        return httpx.Response(200, json={"success": True})
