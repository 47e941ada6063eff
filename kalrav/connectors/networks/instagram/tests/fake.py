"""A fake Instagram Graph API built from the recorded answers in fixtures/, behaving like Meta and
no better: no idempotency key (every media_publish of a new container is a new post), containers
that stay IN_PROGRESS for a while, a quota that counts each publish, captions given back as sent.
Every field the connector asks for is checked against Meta's facebook-business SDK object
definitions (IGUser, IGMedia, IGComment, ShadowIGMediaBuilder for containers, UnifiedThread for
conversations). Direct messages are kept in conversations shaped as Meta's conversations API
answers them: newest first, cursor-paged with a `next` address, details of the 20 newest
messages only; the same conversations answer on graph.instagram.com for Instagram Login."""

from __future__ import annotations

import copy
import itertools
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

import httpx
import pytest
import respx

from kalrav.connectors.base import ConnectorContext, MediaItem, MediaKind
from kalrav.connectors.networks.facebook.client import GRAPH_VERSION
from kalrav.connectors.networks.instagram.client import DictMemory
from kalrav.connectors.networks.instagram.connector import InstagramConnector
from kalrav.connectors.networks.instagram.login import LOGIN_KEY
from kalrav.connectors.testing import Held, recorded

FIXTURES = Path(__file__).parent / "fixtures"
OWN_ID = "17841400008460056"
TOKEN = "page-token-1"
HTTP_OPTIONS = {"resolver": lambda host, port: ["157.240.1.35"]}
PUBLIC = "https://kalrav.example.org/m/"
OWN_USERNAME = "chai_on_instagram"
PERSON = {"id": "1254459154682919", "username": "chai_lover"}  # an Instagram-scoped id (IGSID)
# A message's fields (Conversations API, "Get information about a message"); the SDK reads
# messages as bare objects, so they are checked against Meta's page instead.
MESSAGE_FIELDS = frozenset({"id", "created_time", "from", "to", "message", "attachments"})
DETAILED_MESSAGES = 20  # Meta details a conversation's 20 newest messages only
CREATE_PARAMS = frozenset(
    {
        "image_url",
        "video_url",
        "media_type",
        "caption",
        "alt_text",
        "children",
        "is_carousel_item",
        "share_to_feed",
    }
)


def sdk_fields() -> dict[str, frozenset[str]]:
    """Field names by object, from facebook_business's adobjects; skips when it is absent."""
    sdk = pytest.importorskip("facebook_business", reason="pip install facebook-business (dev)")
    del sdk
    from facebook_business.adobjects.abstractcrudobject import AbstractCrudObject
    from facebook_business.adobjects.igcomment import IGComment
    from facebook_business.adobjects.igmedia import IGMedia
    from facebook_business.adobjects.iguser import IGUser
    from facebook_business.adobjects.shadowigmediabuilder import ShadowIGMediaBuilder
    from facebook_business.adobjects.unifiedthread import UnifiedThread

    crud = set(dir(AbstractCrudObject))

    def names(cls: type) -> frozenset[str]:
        # Fields, and edges the SDK reads with get_<edge> (a comment's `replies`), which Graph
        # expands inside `fields` too.
        fields = {v for k, v in vars(cls.Field).items() if not k.startswith("_")}
        edges = {name[4:] for name in set(dir(cls)) - crud if name.startswith("get_")}
        return frozenset(fields | edges)

    return {
        "user": names(IGUser),
        "media": names(IGMedia),
        "comment": names(IGComment),
        "container": names(ShadowIGMediaBuilder),
        "conversation": names(UnifiedThread),
        "message": MESSAGE_FIELDS,
    }


def top_level(fields: str) -> list[str]:
    """`a,b{c,d},e.x(1){y}` -> a, b, e (what the object itself must have)."""
    depth, out, current = 0, [], ""
    for char in fields:
        if char in "{(":
            depth += 1
        elif char in "})":
            depth -= 1
        elif char == "," and depth == 0:
            out.append(current)
            current = ""
            continue
        if depth == 0 and char not in "})":
            current += char
    out.append(current)
    return [name.split(".")[0].strip() for name in out if name.strip()]


def inner(fields: str, edge: str) -> str:
    """`messages{a,b}` -> `a,b` (the fields asked of an expanded edge)."""
    start = fields.find(edge + "{")
    if start < 0:
        return ""
    depth, out = 0, ""
    for char in fields[start + len(edge) :]:
        depth += char == "{"
        depth -= char == "}"
        if depth == 0:
            break
        out += char
    return out[1:]


def graph_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


class FakeInstagram:
    def __init__(self, router: respx.MockRouter) -> None:
        self.fields = sdk_fields()
        self.router = router
        self.media: list[dict[str, Any]] = []  # newest last
        self.containers: dict[str, dict[str, Any]] = {}
        self.comments: dict[str, list[dict[str, Any]]] = {}  # media id -> comments
        self.requests: list[tuple[str, str]] = []
        self.in_progress_polls = 0  # status answers IN_PROGRESS this many times per container
        self.container_error = False
        self.quota_used = 0
        self.hidden: dict[str, bool] = {}
        self.deleted: list[str] = []
        self.subscribed: list[tuple[str, str]] = []  # (page id, fields)
        self.usage_headers: dict[str, str] = {}  # X-Business-Use-Case-Usage and the like
        self.sent: list[dict[str, Any]] = []  # messages and replies the account sent
        # Conversations, newest activity first; each holds its messages newest first.
        self.threads: list[dict[str, Any]] = []
        self.messages_per_page = 25  # Graph's default page of an expanded edge
        self.refuse_conversations = ""  # a fixture to answer the conversations list with
        self._next_answer: httpx.Response | None = None
        self._lose_next = False
        self._ids = itertools.count(17_920_000_000_000_001)
        router.route(host="graph.facebook.com").mock(side_effect=self._handle)
        router.route(host="graph.instagram.com").mock(side_effect=self._handle)  # Instagram Login

    # --- what the contract test asks ---------------------------------------------------------

    @property
    def posts(self) -> list[Held]:
        return [Held(media["id"], media["caption"]) for media in self.media]

    def connector(
        self, *, public: bool = True, login: str = "", page_id: str = "", **options: Any
    ) -> InstagramConnector:
        make = (lambda item: PUBLIC + (item.source or "x") + "/") if public else None
        options.setdefault("containers", DictMemory())
        options.setdefault("sleep", lambda seconds: None)
        config = {"ig_user_id": OWN_ID, **({LOGIN_KEY: login} if login else {})}
        if page_id:
            config["page_id"] = page_id
        return InstagramConnector(
            ConnectorContext(
                channel_id=9,
                config=config,
                credentials={"access_token": TOKEN},
                account_id=OWN_ID,
                public_url=make,
            ),
            http_options=HTTP_OPTIONS,
            **options,
        )

    def answer_next_write(self, fixture: str) -> None:
        self._next_answer = recorded(FIXTURES, fixture).response()

    def lose_next_answer(self) -> None:
        """The next media_publish is carried out but its answer never arrives."""
        self._lose_next = True

    def receive(self, text: str, *, media_id: str = "") -> str:
        if not media_id:
            if not self.media:
                self._new_media("An earlier post", "IMAGE")
            media_id = self.media[-1]["id"]
        comment_id = str(next(self._ids))
        self.comments.setdefault(media_id, []).append(
            {
                "id": comment_id,
                "text": text,
                "timestamp": graph_time(datetime.now(UTC)),
                "username": "chai_lover",
                "from": {"id": "17841405309211844", "username": "chai_lover"},
                "hidden": False,
                "replies": {"data": []},
            }
        )
        return comment_id

    def dm(
        self,
        text: str,
        *,
        person: dict[str, str] = PERSON,
        at: datetime | None = None,
        mid: str = "",
        ours: bool = False,
    ) -> str:
        """A direct message in the conversation with `person`, from them (or, with `ours`, from
        the account); returns its id, the webhook's `mid` for the same message."""
        mid = mid or f"aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOj{next(self._ids)}"
        thread = next((t for t in self.threads if t["person"]["id"] == person["id"]), None)
        if thread is None:
            thread = {
                "id": f"aWdfZAG1fdGhyZAWFk{next(self._ids)}",
                "person": person,
                "messages": [],
            }
        else:
            self.threads.remove(thread)
        self.threads.insert(0, thread)  # the newest activity lists first
        us = {"id": OWN_ID, "username": OWN_USERNAME}
        sender, recipient = (us, person) if ours else (person, us)
        when = at or datetime.now(UTC)
        thread["messages"].insert(
            0,
            {
                "id": mid,
                "created_time": graph_time(when),
                "from": dict(sender),
                "to": {"data": [dict(recipient)]},
                "message": text,
            },
        )
        thread["updated_time"] = graph_time(max(when, *(_at(m) for m in thread["messages"])))
        return mid

    # --- the API ----------------------------------------------------------------------------

    def _handle(self, request: httpx.Request) -> httpx.Response:
        response = self._answer(request)
        response.headers.update(self.usage_headers)
        return response

    def _answer(self, request: httpx.Request) -> httpx.Response:
        prefix = f"/{GRAPH_VERSION}/"
        assert request.url.path.startswith(prefix), request.url.path
        path = request.url.path[len(prefix) :]
        params = dict(request.url.params)
        form = {k: v[0] for k, v in parse_qs(request.content.decode() or "").items()}
        self.requests.append((request.method, path))
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return recorded(FIXTURES, "error_401").response()
        if request.method in ("POST", "DELETE") and self._next_answer is not None:
            answer, self._next_answer = self._next_answer, None
            return answer
        if request.method == "GET":
            return self._get(path, params, request.url.host)
        if request.method == "DELETE":
            self.deleted.append(path)
            return recorded(FIXTURES, "success").response()
        return self._post(request, path, form)

    def _check_fields(self, kind: str, params: dict[str, str]) -> None:
        unknown = [f for f in top_level(params.get("fields", "")) if f not in self.fields[kind]]
        assert not unknown, f"{kind} has no fields {unknown} in Meta's SDK"

    def _get(self, path: str, params: dict[str, str], host: str) -> httpx.Response:
        parts = path.split("/")
        if len(parts) == 2 and parts[1] == "conversations":
            # Through the linked Page (Facebook Login) or `me`; never the Instagram account's
            # own id, which Meta's conversations API does not take.
            assert parts[0] != OWN_ID, "conversations are read through the Page or me"
            return self._conversations(path, params, host)
        thread = next((t for t in self.threads if t["id"] == parts[0]), None)
        if thread is not None:
            return self._messages(thread, path, params, host)
        if parts == [OWN_ID, "content_publishing_limit"]:
            body = copy.deepcopy(recorded(FIXTURES, "content_publishing_limit").body)
            body["data"][0]["quota_usage"] = self.quota_used
            return httpx.Response(200, json=body)
        if parts in ([OWN_ID, "media"], [OWN_ID, "stories"]):
            self._check_fields("media", params)
            rows = [self._media_row(m) for m in reversed(self.media)]
            return httpx.Response(200, json={"data": rows, "paging": {"cursors": {}}})
        if parts == [OWN_ID]:
            self._check_fields("user", params)
            if "mentioned_comment" in params.get("fields", ""):
                return recorded(FIXTURES, "mentioned_comment").response()
            return recorded(FIXTURES, "user").response()
        if len(parts) == 2 and parts[1] == "comments":
            self._check_fields("comment", {"fields": params.get("fields", "")})
            return httpx.Response(200, json={"data": self.comments.get(parts[0], [])})
        if len(parts) == 2 and parts[1] == "insights":
            return recorded(FIXTURES, "media_insights").response()
        if len(parts) == 1 and parts[0] in self.containers:
            self._check_fields("container", params)
            return self._status(parts[0])
        if len(parts) == 1 and any(m["id"] == parts[0] for m in self.media):
            self._check_fields("media", params)
            media = next(m for m in self.media if m["id"] == parts[0])
            return httpx.Response(200, json={"id": media["id"], **self._media_row(media)})
        if len(parts) == 1:
            self._check_fields("comment", params)
            return recorded(FIXTURES, "comment").response()
        raise AssertionError(f"unexpected GET {path}")

    def _conversations(self, path: str, params: dict[str, str], host: str) -> httpx.Response:
        assert params.get("platform") == "instagram", "Instagram's conversations need platform"
        self._check_fields("conversation", params)
        if self.refuse_conversations:
            return recorded(FIXTURES, self.refuse_conversations).response()
        rows = [{"id": t["id"], "updated_time": t["updated_time"]} for t in self.threads]
        return httpx.Response(200, json=_paged(rows, path, params, host))

    def _messages(
        self, thread: dict[str, Any], path: str, params: dict[str, str], host: str
    ) -> httpx.Response:
        detailed = thread["messages"][:DETAILED_MESSAGES]
        if path.endswith("/messages"):  # a following page of the edge
            wanted = top_level(params.get("fields", ""))
            self._check_fields("message", params)
            rows = [{k: v for k, v in m.items() if k in wanted} for m in detailed]
            return httpx.Response(200, json=_paged(rows, path, params, host))
        self._check_fields("conversation", params)
        fields = inner(params.get("fields", ""), "messages")
        self._check_fields("message", {"fields": fields})
        wanted = top_level(fields)
        rows = [{k: v for k, v in m.items() if k in wanted} for m in detailed]
        following = {"fields": fields, "limit": str(self.messages_per_page)}
        edge = _paged(rows, f"{thread['id']}/messages", following, host)
        return httpx.Response(200, json={"id": thread["id"], "messages": edge})

    def _status(self, container_id: str) -> httpx.Response:
        held = self.containers[container_id]
        if held["state"] == "IN_PROGRESS":
            if self.container_error:
                held["state"] = "ERROR"
            elif held["polls"] >= self.in_progress_polls:
                held["state"] = "FINISHED"
            held["polls"] += 1
        fixture = {
            "IN_PROGRESS": "container_in_progress",
            "ERROR": "container_error",
        }.get(held["state"], "container_finished")
        body = copy.deepcopy(recorded(FIXTURES, fixture).body)
        body.update(id=container_id, status_code=held["state"])
        return httpx.Response(200, json=body)

    def _post(self, request: httpx.Request, path: str, form: dict[str, str]) -> httpx.Response:
        parts = path.split("/")
        if parts == [OWN_ID, "media"]:
            assert set(form) <= CREATE_PARAMS, (
                f"unknown create parameters {set(form) - CREATE_PARAMS}"
            )
            for key in ("image_url", "video_url"):
                if key in form:
                    assert form[key].startswith("https://"), "Meta fetches over https"
            container_id = str(next(self._ids))
            self.containers[container_id] = {"data": form, "state": "IN_PROGRESS", "polls": 0}
            return httpx.Response(200, json={"id": container_id})
        if parts == [OWN_ID, "media_publish"]:
            held = self.containers[form["creation_id"]]
            if held["state"] != "FINISHED":
                return recorded(FIXTURES, "error_refused").response()
            held["state"] = "PUBLISHED"
            kind = held["data"].get("media_type") or "IMAGE"
            media = self._new_media(held["data"].get("caption", ""), kind)
            self.quota_used += 1
            if self._lose_next:
                self._lose_next = False
                raise httpx.ReadTimeout("answer lost", request=request)
            return httpx.Response(200, json={"id": media["id"]})
        if len(parts) == 2 and parts[1] == "subscribed_apps":
            self.subscribed.append((parts[0], form.get("subscribed_fields", "")))
            return recorded(FIXTURES, "success").response()
        if len(parts) == 2 and parts[1] in ("comments", "replies"):
            self.sent.append({"on": parts[0], "message": form["message"]})
            return recorded(FIXTURES, "comment_created").response()
        if parts in (["me", "messages"], [OWN_ID, "mentions"]):
            self.sent.append({"via": parts[1], **form})
            return recorded(FIXTURES, "private_reply").response()
        if len(parts) == 1 and "hide" in form:
            self.hidden[parts[0]] = form["hide"] == "true"
            return recorded(FIXTURES, "success").response()
        raise AssertionError(f"unexpected POST {path}")

    def _new_media(self, caption: str, media_type: str) -> dict[str, Any]:
        media_id = str(next(self._ids))
        media = {
            "id": media_id,
            "caption": caption,
            "timestamp": graph_time(datetime.now(UTC)),
            "permalink": f"https://www.instagram.com/p/K{media_id[-6:]}/",
            "media_type": "CAROUSEL_ALBUM" if media_type == "CAROUSEL" else media_type,
        }
        self.media.append(media)
        return media

    @staticmethod
    def _media_row(media: dict[str, Any]) -> dict[str, Any]:
        row = {k: v for k, v in media.items() if k != "caption" or v}
        return row


def _at(message: dict[str, Any]) -> datetime:
    return datetime.strptime(message["created_time"], "%Y-%m-%dT%H:%M:%S%z")


def _paged(rows: list[Any], path: str, params: dict[str, str], host: str) -> dict[str, Any]:
    """Graph's cursor paging: `after` is where the page starts, `next` the following page's
    whole address (only when there is one)."""
    start = int(params.get("after") or 0)
    size = int(params.get("limit") or 25)
    body: dict[str, Any] = {
        "data": rows[start : start + size],
        "paging": {"cursors": {"before": str(start), "after": str(start + size)}},
    }
    if start + size < len(rows):
        query = {k: v for k, v in params.items() if k != "appsecret_proof"}
        query["after"] = str(start + size)
        body["paging"]["next"] = f"https://{host}/{GRAPH_VERSION}/{path}?{urlencode(query)}"
    return body


def photo(source: str = "media/1/chai.jpg", **extra: Any) -> MediaItem:
    values: dict[str, Any] = {
        "kind": MediaKind.IMAGE,
        "mime_type": "image/jpeg",
        "size": 500_000,
        "width": 1080,
        "height": 1350,
        "alt_text": "A cup of chai",
    }
    return MediaItem(source=source, **{**values, **extra})


def video(source: str = "media/1/reel.mp4", **extra: Any) -> MediaItem:
    values: dict[str, Any] = {
        "kind": MediaKind.VIDEO,
        "mime_type": "video/mp4",
        "size": 5_000_000,
        "width": 1080,
        "height": 1920,
        "duration": 12.0,
    }
    return MediaItem(source=source, **{**values, **extra})
