"""X (formerly Twitter), through the X API v2 with an OAuth 2.0 user token (client.py).

Publishing never posts twice: X takes no idempotency key, so the connector is a `Reconciler`.
After an unknown outcome the publisher asks `reconcile`, which looks for the post among the
account's posts since the first try, by its words (as the author wrote them, links expanded) and
by what it answers; a thread counts as published only when every part is found, and one found
in part fails visibly instead of being sent again.

The inbox polls the account's mentions (replies to its posts mention it) with `since_id`. The
cursor also holds when the next poll may go out, spread over what is left of the endpoint's
rate-limit window, so polling never runs into a 429.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kalrav.connectors.account import (
    AccountInfo,
    AccountVerifier,
    Connection,
    CredentialRefresher,
    OAuthConnect,
    RenewedCredentials,
)
from kalrav.connectors.base import (
    ConnectorContext,
    Cursor,
    InboxReader,
    IncomingItem,
    InsightsReader,
    ItemKind,
    MediaItem,
    MediaKind,
    MetricRow,
    NetworkRules,
    OutgoingPost,
    Page,
    Problem,
    PublishedRef,
    Publisher,
    RateBudget,
    RateBudgetReporter,
    Reconciler,
    SettingsField,
)
from kalrav.connectors.errors import Rejected, Transient
from kalrav.connectors.http import HttpClient
from kalrav.connectors.networks.x import activity, client, insights, mapping, messages
from kalrav.connectors.networks.x.rules import RULES
from kalrav.connectors.rules import validate_post
from kalrav.connectors.sessions import KeptInMemory
from kalrav.connectors.webhooks import AppDelivery, AppWebhookReceiver, HandshakeAnswer

MediaReader = Callable[[MediaItem], bytes]
REPLY_SETTINGS = ("following", "mentionedUsers", "subscribers", "verified")
CHUNK = 4 * 1024 * 1024  # APPEND takes chunks of at most 5 MB
PROCESSING_LIMIT = 600.0  # seconds a video may take to process before the publish is retried
DEFAULT_POLL_MINUTES = 24 * 60
RECENT_PAGES = 5  # of 100 posts each: far more than a channel posts between a crash and its retry
INBOX_PAGES = 10
CLOCK_SKEW = timedelta(minutes=2)
POST_FIELDS = "created_at,conversation_id,entities,lang,text"
# Who wrote a post and what it answers come with it as expansions, in X's OpenAPI description.
EXPANSIONS = "author_id,referenced_posts"
MENTIONS = "GET /2/users/:id/mentions"
CATEGORY = {
    MediaKind.IMAGE: "tweet_image",
    MediaKind.GIF: "tweet_gif",
    MediaKind.VIDEO: "tweet_video",
}


def read_from_storage(item: MediaItem) -> bytes:
    from django.core.files.storage import default_storage

    with default_storage.open(item.source, "rb") as handle:
        return handle.read()


class XConnector:
    slug: ClassVar[str] = "x"
    label: ClassVar[str] = "X"
    rules: NetworkRules = RULES
    capabilities: ClassVar[tuple[type, ...]] = (
        Publisher,
        Reconciler,
        InboxReader,
        InsightsReader,
        RateBudgetReporter,
        AccountVerifier,
        CredentialRefresher,
        OAuthConnect,
        AppWebhookReceiver,
    )
    # The operator's X app is in settings and accounts sign in on x.com (OAuthConnect); a refresh
    # token made with that app elsewhere (X's xurl tool) may be pasted instead.
    settings_fields: ClassVar[tuple[SettingsField, ...]] = (
        SettingsField(
            "refresh_token",
            gettext_lazy("OAuth 2.0 refresh token"),
            secret=True,
            kind="password",
            help_text=gettext_lazy(
                "Made with this Kalrav's X app and the offline.access scope. Kalrav trades it "
                "for a new one at first use, so the tool that made it can no longer use it."
            ),
        ),
    )

    def __init__(
        self,
        context: ConnectorContext,
        *,
        http_options: Mapping[str, Any] | None = None,
        read_media: MediaReader = read_from_storage,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        base_url: str = "",
    ) -> None:
        self.context = context
        self.http_options = dict(http_options or {})
        self.read_media = read_media
        self.sleep = sleep
        self.clock = clock
        self.base_url = base_url or client.api_base()
        self._api: client.XApi | None = None

    def close(self) -> None:
        if self._api is not None:
            self._api.http.close()
            self._api = None

    @property
    def api(self) -> client.XApi:
        if self._api is None:
            keeper = self.context.sessions or KeptInMemory(
                self.context.credentials.get("session", "")
            )
            self._api = client.XApi(
                HttpClient(**self.http_options),
                keeper=keeper,
                base_url=self.base_url,
                clock=self.clock,
                pasted_refresh_token=self.context.credentials.get("refresh_token", ""),
            )
        return self._api

    @property
    def user_id(self) -> str:
        known = self.context.account_id or str(self.context.config.get("user_id") or "")
        return known or self.verify().remote_id

    # --- Connecting (OAuthConnect, AccountVerifier, CredentialRefresher) -------------------------

    @classmethod
    def oauth_start(
        cls, server_url: str, *, redirect_uri: str, state: str
    ) -> tuple[str, dict[str, Any]]:
        """X has one server: `server_url` is not asked for. The PKCE verifier stays with the
        person's session until they come back."""
        client_id, _secret = client.operator_app()
        verifier, challenge = client.pkce_pair()
        url = client.authorization_url(
            client_id, redirect_uri=redirect_uri, state=state, challenge=challenge
        )
        return url, {"verifier": verifier, "redirect_uri": redirect_uri}

    @classmethod
    def oauth_finish(cls, kept: dict[str, Any], code: str) -> Connection:
        return cls.connect(kept, code)

    @classmethod
    def connect(
        cls,
        kept: Mapping[str, Any],
        code: str,
        *,
        http_options: Mapping[str, Any] | None = None,
        base_url: str = "",
    ) -> Connection:
        base_url = base_url or client.api_base()
        with HttpClient(**dict(http_options or {})) as http:
            tokens = client.exchange_code(
                http,
                code=code,
                verifier=str(kept.get("verifier") or ""),
                redirect_uri=str(kept.get("redirect_uri") or ""),
                base_url=base_url,
            )
            api = client.XApi(http, keeper=KeptInMemory(tokens.encode()), base_url=base_url)
            account = _me(api)
        tokens = replace(tokens, user_id=account.remote_id)
        return Connection(
            config={"user_id": account.remote_id},
            credentials={"session": tokens.encode()},
            account=account,
        )

    def verify(self) -> AccountInfo:
        """The account, and its subscription to the app's Account Activity webhook where the
        operator registered one (asking again mends a subscription removed by hand)."""
        account = _me(self.api)
        activity.subscribe(self.api)
        return account

    def refresh(self) -> RenewedCredentials:
        """Renew the tokens now, through the keeper, which keeps the new pair. Nothing is handed
        back for the stored credentials: writing this pair again after another worker had
        renewed it would bring back a refresh token X has already used up."""
        self.api.tokens(refused=self.api.keeper.kept())
        return RenewedCredentials(credentials={})

    # --- Publisher ---------------------------------------------------------------------------------

    def validate(self, post: OutgoingPost) -> list[Problem]:
        problems = validate_post(post, self.rules)
        setting = post.options.get("reply_settings")
        if setting and setting not in REPLY_SETTINGS:
            problems.append(
                Problem(
                    "reply_settings",
                    _("Who may reply must be one of: %(choices)s.")
                    % {"choices": ", ".join(REPLY_SETTINGS)},
                    target="options.reply_settings",
                )
            )
        return problems

    def publish(self, post: OutgoingPost, *, idempotency_key: str) -> PublishedRef:
        """The post, each thread part as a reply to the one before, then the first comment as
        a reply to the last part."""
        parts = [post, *post.thread]
        if post.first_comment:
            parts.append(OutgoingPost(post.first_comment))
        parent = post.reply_to.remote_id if post.reply_to else ""
        made: list[str] = []
        for part in parts:
            try:
                parent = self._create(part, parent, post.options)
            except Rejected as refused:
                if not made:
                    raise
                raise Rejected(
                    _(
                        "X refused part %(part)d of the thread after taking the parts before "
                        "it (%(made)s): %(reason)s"
                    )
                    % {"part": len(made) + 1, "made": ", ".join(made), "reason": refused.reason}
                ) from refused
            made.append(parent)
        return self._ref(made)

    def _ref(self, made: list[str]) -> PublishedRef:
        extra = {"thread": ",".join(made)} if len(made) > 1 else {}
        return PublishedRef(
            made[0], url=mapping.status_url(made[0]), published_at=datetime.now(UTC), extra=extra
        )

    def _create(self, part: OutgoingPost, parent: str, options: Mapping[str, Any]) -> str:
        body: dict[str, Any] = {"text": part.text}
        if part.media:
            body["media"] = {"media_ids": [self._upload(item) for item in part.media]}
        if part.poll is not None:
            minutes = (
                int(part.poll.duration.total_seconds() // 60)
                if part.poll.duration
                else DEFAULT_POLL_MINUTES
            )
            body["poll"] = {"options": list(part.poll.options), "duration_minutes": minutes}
        if options.get("reply_settings"):
            body["reply_settings"] = str(options["reply_settings"])
        if parent:
            body["reply"] = {"in_reply_to_tweet_id": parent}
        answer = self.api.call("POST", "/2/tweets", json=body, budget="POST /2/tweets")
        try:
            return str(answer["data"]["id"])
        except (KeyError, TypeError):
            raise Transient(_("X took the post but did not say its id.")) from None

    def _upload(self, item: MediaItem) -> str:
        """Chunked upload (initialize, append, finalize, then status while X processes it),
        then the alt text."""
        data = self.read_media(item)
        started = self.api.call(
            "POST",
            "/2/media/upload/initialize",
            json={
                "media_type": item.mime_type,
                "total_bytes": len(data),
                "media_category": CATEGORY[item.kind],
            },
        )
        media_id = str(started["data"]["id"])
        for index, offset in enumerate(range(0, len(data), CHUNK)):
            self.api.call(
                "POST",
                f"/2/media/upload/{media_id}/append",
                data={"segment_index": str(index)},
                files={
                    "media": ("chunk", data[offset : offset + CHUNK], "application/octet-stream")
                },
            )
        answer = self.api.call("POST", f"/2/media/upload/{media_id}/finalize")
        self._wait_for_processing(media_id, (answer.get("data") or {}).get("processing_info"))
        if item.alt_text:
            self.api.call(
                "POST",
                "/2/media/metadata",
                json={"id": media_id, "metadata": {"alt_text": {"text": item.alt_text}}},
            )
        return media_id

    def _wait_for_processing(self, media_id: str, info: Mapping[str, Any] | None) -> None:
        waited = 0.0
        while info and info.get("state") in ("pending", "in_progress"):
            pause = float(info.get("check_after_secs") or 1)
            if waited + pause > PROCESSING_LIMIT:
                raise Transient(_("X is still processing the video; trying again later."))
            self.sleep(pause)
            waited += pause
            answer = self.api.call(
                "GET", "/2/media/upload", params={"command": "STATUS", "media_id": media_id}
            )
            info = (answer.get("data") or {}).get("processing_info")
        if info and info.get("state") == "failed":
            reason = str((info.get("error") or {}).get("message") or info.get("state"))
            raise Rejected(_("X could not process the media: %(reason)s") % {"reason": reason})

    def delete(self, ref: PublishedRef, *, idempotency_key: str) -> None:
        """Every part of a thread, last first; a post already gone counts as deleted."""
        ids = (ref.extra.get("thread") or ref.remote_id).split(",")
        for post_id in reversed(ids):
            try:
                self.api.call("DELETE", f"/2/tweets/{post_id}")
            except Rejected:
                continue  # 404: nothing left to delete

    # --- Reconciler --------------------------------------------------------------------------------

    def reconcile(
        self, post: OutgoingPost, *, idempotency_key: str, not_before: datetime
    ) -> PublishedRef | None:
        conversation = messages.conversation_of(post.reply_to.url if post.reply_to else "")
        if conversation:  # an answer to a direct message: look in its conversation
            return messages.find_sent(self.api, self.user_id, conversation, post.text, not_before)
        recent = self._recent(not_before - CLOCK_SKEW)
        parts = [post, *post.thread]
        if post.first_comment:
            parts.append(OutgoingPost(post.first_comment))
        parent = post.reply_to.remote_id if post.reply_to else ""
        found: list[str] = []
        for part in parts:
            match = _oldest_match(recent, part.text, parent)
            if match is None:
                break
            parent = match
            found.append(match)
        if not found:
            return None
        if len(found) < len(parts):
            raise Rejected(
                _(
                    "Only %(found)d of the %(total)d parts of this thread are on X (%(ids)s); "
                    "look at the channel before publishing the rest."
                )
                % {"found": len(found), "total": len(parts), "ids": ", ".join(found)}
            )
        return self._ref(found)

    def _recent(self, since: datetime) -> list[Mapping[str, Any]]:
        params: dict[str, Any] = {
            "max_results": 100,
            "start_time": since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "post.fields": POST_FIELDS,
            "expansions": EXPANSIONS,
        }
        posts: list[Mapping[str, Any]] = []
        for _page in range(RECENT_PAGES):
            answer = self.api.call("GET", f"/2/users/{self.user_id}/tweets", params=params)
            posts.extend(answer.get("data") or ())
            token = (answer.get("meta") or {}).get("next_token")
            if not token:
                return posts
            params["pagination_token"] = token
        raise Transient(_("Too many recent posts on X to look through; trying again later."))

    # --- InboxReader -------------------------------------------------------------------------------

    def fetch_inbox(self, since: Cursor | None) -> Page:
        """Mentions and replies since the cursor's post id, then direct messages where they
        are on. The first fetch reads the newest page only: a channel connected today does not
        import its whole history."""
        kept = _read_cursor(since)
        now = self.clock()
        mentions, mentions_due = self._mentions(kept, now)
        dms, dm_state = self._messages(kept, now)
        items = tuple(
            sorted(
                (*mentions, *dms), key=lambda item: (item.created_at, _as_number(item.remote_id))
            )
        )
        state = {**kept, **mentions_due, **dm_state}
        denied = client.direct_messages() and state.get("dm_denied_at")
        return Page(items, _cursor(state), notice=messages.denied_notice() if denied else "")

    def _messages(self, kept: Mapping[str, Any], now: float) -> tuple[list[IncomingItem], dict]:
        if not client.direct_messages():
            return [], {}
        denied = float(kept.get("dm_denied_at") or 0)
        if denied and now - denied < messages.DENIED_RETRY.total_seconds():
            return [], {}  # X said no: ask again a day later, not at every poll
        if float(kept.get("dm_not_before") or 0) > now:
            return [], {}
        try:
            items, newest = messages.fetch(
                self.api, self.user_id, str(kept.get("dm_since_id") or "")
            )
        except client.NoAccess:
            # The access level (or the scopes granted) has no direct messages: said on the
            # channel, not as an error, and mentions keep arriving.
            return [], {"dm_denied_at": round(now, 3)}
        due = self._next_poll(now, messages.DM_EVENTS)
        return items, {"dm_since_id": newest, "dm_not_before": round(due, 3), "dm_denied_at": 0}

    def _mentions(self, kept: Mapping[str, Any], now: float) -> tuple[list[IncomingItem], dict]:
        since_id = str(kept.get("since_id") or "")
        if float(kept.get("not_before") or 0) > now:
            return [], {}  # within the rate budget: the next poll is not due yet
        params: dict[str, Any] = {
            "max_results": 100,
            "post.fields": POST_FIELDS,
            "expansions": EXPANSIONS,
            "user.fields": "username,name,profile_image_url",
        }
        if since_id:
            params["since_id"] = since_id
        own = self.user_id
        items: list[IncomingItem] = []
        newest = since_id
        for _page in range(INBOX_PAGES if since_id else 1):
            answer = self.api.call(
                "GET", f"/2/users/{own}/mentions", params=params, budget=MENTIONS
            )
            users = {
                str(user.get("id")): user
                for user in (answer.get("includes") or {}).get("users") or ()
            }
            for post in answer.get("data") or ():
                if str(post.get("author_id") or "") != own:
                    items.append(mapping.incoming(post, users))
                newest = max(newest, str(post["id"]), key=_as_number)
            token = (answer.get("meta") or {}).get("next_token")
            if not token:
                break
            params["pagination_token"] = token
        return items, {"since_id": newest, "not_before": round(self._next_poll(now, MENTIONS), 3)}

    def _next_poll(self, now: float, family: str) -> float:
        """Spread what is left of the window over the time left in it."""
        budget = self.api.budgets.get(family)
        if budget is None or budget.reset <= now:
            return 0.0
        return now + (budget.reset - now) / (budget.remaining + 1)

    def reply(self, to: IncomingItem, post: OutgoingPost, *, idempotency_key: str) -> PublishedRef:
        if to.kind == ItemKind.DIRECT_MESSAGE:
            return messages.send(self.api, to, post.text)
        return self.publish(
            replace(post, reply_to=PublishedRef(to.remote_id)), idempotency_key=idempotency_key
        )

    # --- InsightsReader ------------------------------------------------------------------------

    def post_metrics(self, refs: Sequence[PublishedRef]) -> list[MetricRow]:
        return insights.post_metrics(self.api, refs, datetime.fromtimestamp(self.clock(), UTC))

    def channel_metrics(self) -> list[MetricRow]:
        return insights.channel_metrics(self.api, datetime.fromtimestamp(self.clock(), UTC))

    # --- RateBudgetReporter --------------------------------------------------------------------

    def rate_budgets(self) -> list[RateBudget]:
        """What X's headers said on this connector's calls: nothing when it made none."""
        if self._api is None:
            return []
        return [
            RateBudget(
                name,
                budget.remaining,
                budget.limit,
                datetime.fromtimestamp(budget.reset, UTC) if budget.reset else None,
            )
            for name, budget in sorted(self._api.budgets.items())
        ]

    # --- AppWebhookReceiver (the Account Activity webhook, activity.py) -------------------------

    @classmethod
    def answer_handshake(
        cls, query: Mapping[str, str], headers: Mapping[str, str]
    ) -> HandshakeAnswer | None:
        return activity.handshake(query)

    @classmethod
    def receive_for_app(cls, headers: Mapping[str, str], body: bytes) -> AppDelivery:
        return activity.receive(headers, body)


def _me(api: client.XApi) -> AccountInfo:
    answer = api.call(
        "GET", "/2/users/me", params={"user.fields": "username,name,profile_image_url"}
    )
    try:
        return mapping.author(answer["data"])
    except (KeyError, TypeError):
        raise Transient(_("X did not say who the account is.")) from None


def _oldest_match(posts: list[Mapping[str, Any]], text: str, parent: str) -> str | None:
    wanted = mapping.comparable(text)
    matches = [
        str(post["id"])
        for post in posts
        if mapping.written_text(post) == wanted and mapping.replied_to(post) == parent
    ]
    return min(matches, key=_as_number) if matches else None


def _as_number(post_id: str) -> int:
    return int(post_id) if post_id.isdigit() else 0


def _read_cursor(cursor: Cursor | None) -> dict[str, Any]:
    """since_id and not_before for mentions; dm_since_id, dm_not_before and dm_denied_at (when
    X last refused direct messages) for messages."""
    if cursor is None:
        return {}
    try:
        data = json.loads(cursor.value)
    except (ValueError, TypeError):
        return {}
    return data if isinstance(data, dict) else {}


def _cursor(values: Mapping[str, Any]) -> Cursor:
    return Cursor(json.dumps(dict(values), sort_keys=True))
