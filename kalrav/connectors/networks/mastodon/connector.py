"""Mastodon and compatible servers, through Mastodon.py on Kalrav's HTTP client.

The rules come from the channel's own instance (its configuration is stored with the channel
when it connects, see oauth.py). Every status is sent with an `Idempotency-Key` derived from the
caller's key, so a publish retried after an unknown outcome returns the status already made
instead of posting twice; Mastodon remembers keys for an hour, after which the publisher's
reconciliation has to decide.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import cached_property, partial
from pathlib import PurePosixPath
from typing import IO, Any, ClassVar

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kalrav.connectors.account import AccountInfo, AccountVerifier, ConfigReader, OAuthConnect
from kalrav.connectors.base import (
    ConnectorContext,
    Cursor,
    Editor,
    IdempotentPublisher,
    InboxReader,
    IncomingItem,
    InsightsReader,
    ItemKind,
    ItemRef,
    ListeningSource,
    MediaItem,
    MetricRow,
    Moderation,
    Moderator,
    NetworkRules,
    OutgoingPost,
    Page,
    Problem,
    PublicStreamer,
    PublishedRef,
    Publisher,
    SettingsField,
    Streamer,
)
from kalrav.connectors.errors import Rejected, Transient
from kalrav.connectors.networks.mastodon import mapping, oauth, streaming
from kalrav.connectors.networks.mastodon.client import api, fetch_instance, new_http
from kalrav.connectors.networks.mastodon.errors import mapped
from kalrav.connectors.networks.mastodon.rules import RULES, measure, rules_for_instance
from kalrav.connectors.rules import validate_post

VISIBILITIES = ("public", "unlisted", "private", "direct")  # from most to least open
DEFAULT_POLL_DURATION = timedelta(days=1)
PAGE_SIZE = 40  # the most Mastodon returns per page of notifications and statuses
MAX_PAGES = 5  # per call; the cursor carries the rest to the next call
MEDIA_WAIT = 60.0  # seconds to wait for a video to finish processing before retrying later
# The server keeps an Idempotency-Key for 3600 s: a resend is safe only within that window.
KEY_WINDOW = timedelta(hours=1)

MediaOpener = Callable[[MediaItem], IO[bytes]]


def open_from_storage(item: MediaItem) -> IO[bytes]:
    from django.core.files.storage import default_storage

    return default_storage.open(item.source, "rb")


def _key(idempotency_key: str, part: str) -> str:
    return idempotency_key if not part else f"{idempotency_key}:{part}"


class MastodonConnector:
    slug: ClassVar[str] = "mastodon"
    label: ClassVar[str] = "Mastodon"
    rules: NetworkRules = RULES
    capabilities: ClassVar[tuple[type, ...]] = (
        Publisher,
        IdempotentPublisher,
        Editor,
        InboxReader,
        InsightsReader,
        ListeningSource,
        Streamer,
        PublicStreamer,
        Moderator,
        AccountVerifier,
        ConfigReader,
        OAuthConnect,
    )
    settings_fields: ClassVar[tuple[SettingsField, ...]] = (
        SettingsField(
            "instance_url",
            gettext_lazy("Server address"),
            kind="url",
            help_text=gettext_lazy("Such as https://mastodon.social."),
        ),
        SettingsField("access_token", gettext_lazy("Access token"), secret=True, kind="password"),
    )

    def __init__(
        self,
        context: ConnectorContext,
        *,
        http_options: Mapping[str, Any] | None = None,
        media_opener: MediaOpener = open_from_storage,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """`http_options` go to Kalrav's HttpClient (tests pass allow_private for a local server,
        or a fake resolver)."""
        self.context = context
        self.rules = rules_for_instance(context.config.get("instance"))
        self.instance_url = str(context.config.get("instance_url", "")).rstrip("/")
        self._http_options = dict(http_options or {})
        self._open_media = media_opener
        self._sleep = sleep
        self.http = new_http(self._http_options)
        instance = context.config.get("instance") or {}
        self.client = api(
            self.instance_url,
            self.http,
            access_token=context.credentials.get("access_token"),
            version=str(instance.get("version") or ""),
        )

    def close(self) -> None:
        self.http.close()

    # --- Account -------------------------------------------------------------------------------

    @classmethod
    def oauth_start(
        cls, server_url: str, *, redirect_uri: str, state: str
    ) -> tuple[str, dict[str, Any]]:
        app = oauth.register_app(server_url, redirect_uri=redirect_uri)
        kept = {
            "instance_url": app.instance_url,
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "redirect_uri": app.redirect_uri,
        }
        return oauth.authorization_url(app, state=state), kept

    @classmethod
    def oauth_finish(cls, kept: dict[str, Any], code: str) -> oauth.Connection:
        return oauth.exchange_code(oauth.RegisteredApp(**kept), code)

    def verify(self) -> AccountInfo:
        with mapped():
            return mapping.author(self.client.account_verify_credentials())

    def read_config(self) -> dict[str, Any]:
        """The instance's limits, to merge into the channel config (`config["instance"]`)."""
        return {"instance": mapping.instance_config(fetch_instance(self.client))}

    @cached_property
    def own_account_id(self) -> str:
        known = self.context.config.get("account_id")
        return str(known) if known else self.verify().remote_id

    # --- Publisher -----------------------------------------------------------------------------

    def idempotency_key_window(self) -> timedelta | None:
        return KEY_WINDOW

    def _rules_for(self, post: OutgoingPost) -> NetworkRules:
        # The content warning counts towards the limit, as Mastodon's own length validator does.
        warning = str(post.options.get("spoiler_text") or "")
        if not warning:
            return self.rules
        return replace(
            self.rules,
            measure=partial(
                measure, url_length=self.rules.links.counted_as or 23, spoiler_text=warning
            ),
        )

    def validate(self, post: OutgoingPost) -> list[Problem]:
        problems = validate_post(post, self._rules_for(post))
        visibility = post.options.get("visibility")
        if visibility is not None and visibility not in VISIBILITIES:
            problems.append(
                Problem(
                    "visibility",
                    _("Visibility must be one of: %(choices)s.")
                    % {"choices": ", ".join(VISIBILITIES)},
                    target="options.visibility",
                )
            )
        return problems

    def publish(self, post: OutgoingPost, *, idempotency_key: str) -> PublishedRef:
        """The post, each thread part as a reply to the one before, then the first comment.
        Part N is sent with the key "<key>:N", so a retry after a partial thread finds the parts
        already made and goes on from there."""
        parent = post.reply_to.remote_id if post.reply_to else None
        made: list[Mapping[str, Any]] = []
        for number, part in enumerate((post, *post.thread)):
            status = self._post_status(
                part,
                options=post.options,
                language=part.language or post.language,
                in_reply_to_id=parent,
                idempotency_key=_key(idempotency_key, str(number) if number else ""),
            )
            made.append(status)
            parent = str(status["id"])
        extra: dict[str, str] = {}
        if len(made) > 1:
            extra["thread"] = ",".join(str(status["id"]) for status in made[1:])
        if post.first_comment:
            comment = self._post_status(
                OutgoingPost(text=post.first_comment),
                options=post.options,
                language=post.language,
                in_reply_to_id=str(made[0]["id"]),
                idempotency_key=_key(idempotency_key, "first-comment"),
            )
            extra["first_comment"] = str(comment["id"])
        return mapping.published(made[0], **extra)

    def _post_status(
        self,
        part: OutgoingPost,
        *,
        options: Mapping[str, Any],
        language: str,
        in_reply_to_id: str | None,
        idempotency_key: str,
    ) -> Mapping[str, Any]:
        media_ids = [self._upload(item) for item in part.media] or None
        poll = None
        if part.poll is not None:
            duration = part.poll.duration or DEFAULT_POLL_DURATION
            poll = self.client.make_poll(
                list(part.poll.options),
                expires_in=int(duration.total_seconds()),
                multiple=part.poll.multiple,
            )
        with mapped():
            return self.client.status_post(
                part.text,
                in_reply_to_id=in_reply_to_id,
                media_ids=media_ids,
                sensitive=bool(options.get("sensitive")),
                visibility=options.get("visibility") or None,
                spoiler_text=options.get("spoiler_text") or None,
                language=language or None,
                poll=poll,
                idempotency_key=idempotency_key,
            )

    def _upload(self, item: MediaItem) -> str:
        """POST /api/v2/media, then wait (bounded) while a video is still being processed:
        Mastodon refuses to attach media that has no URL yet."""
        with self._open_media(item) as source:
            data = source.read()
        with mapped():
            media = self.client.media_post(
                data,
                mime_type=item.mime_type,
                description=item.alt_text or None,
                file_name=PurePosixPath(item.source).name or "upload",
            )
            waited = 0.0
            while not media.get("url"):
                if waited >= MEDIA_WAIT:
                    raise Transient(_("The server is still processing the media; try again."))
                self._sleep(2.0)
                waited += 2.0
                media = self.client.media(media["id"])
        return str(media["id"])

    def delete(self, ref: PublishedRef, *, idempotency_key: str) -> None:
        """Deletes the whole thread, last part first, and the first comment. A status already
        gone counts as deleted, so a retried delete succeeds. (DELETE is idempotent by itself;
        the key has nothing to travel in.)"""
        thread = [i for i in ref.extra.get("thread", "").split(",") if i]
        comment = ref.extra.get("first_comment", "")
        for remote_id in [*reversed(thread), *([comment] if comment else []), ref.remote_id]:
            self._delete_status(remote_id)

    def _delete_status(self, remote_id: str) -> None:
        try:
            with mapped():
                self.client.status_delete(remote_id)
        except Rejected:
            if self._exists(remote_id):
                raise

    def _exists(self, remote_id: str) -> bool:
        try:
            with mapped():
                self.client.status(remote_id)
        except Rejected:
            return False
        return True

    # --- Editor --------------------------------------------------------------------------------

    def edit(self, ref: PublishedRef, post: OutgoingPost, *, idempotency_key: str) -> PublishedRef:
        """PUT /api/v1/statuses/:id with the new text. Mastodon replaces the whole status with
        what an edit sends, so an edit that names no media or poll removes them: the status is
        read first and its attachments, poll, content warning and sensitivity sent back as they
        are (a poll sent back unchanged keeps its votes). A repeated edit changes nothing more,
        so no key is needed. Only the first post of a thread changes."""
        problems = validate_post(
            OutgoingPost(post.text, options=post.options), self._rules_for(post)
        )
        if problems:
            raise Rejected(problems[0].message)
        with mapped():
            current = self.client.status(ref.remote_id)
        media_ids = [str(media["id"]) for media in current.get("media_attachments") or []]
        options = post.options
        poll = self._poll_kept(current.get("poll"))
        with mapped():
            status = self.client.status_update(
                ref.remote_id,
                post.text,
                spoiler_text=str(options.get("spoiler_text", current.get("spoiler_text")) or ""),
                sensitive=bool(options.get("sensitive", current.get("sensitive"))),
                media_ids=media_ids or None,
                poll=poll,
            )
        edited = mapping.published(status, **dict(ref.extra))
        return replace(edited, published_at=ref.published_at or edited.published_at)

    def _poll_kept(self, poll: Mapping[str, Any] | None) -> Any:
        if not poll:
            return None
        closes = mapping.timestamp(poll.get("expires_at")) if poll.get("expires_at") else None
        left = (closes - datetime.now(UTC)).total_seconds() if closes else None
        if poll.get("expired") or (left is not None and left <= 0):
            raise Rejected(
                _("Its poll has closed, and Mastodon would remove the poll with an edit.")
            )
        shortest = self.rules.poll.min_duration if self.rules.poll else None
        minimum = int(shortest.total_seconds()) if shortest else 300
        seconds = int(left) if left is not None else int(DEFAULT_POLL_DURATION.total_seconds())
        return self.client.make_poll(
            [str(option.get("title", "")) for option in poll.get("options") or []],
            expires_in=max(minimum, seconds),
            multiple=bool(poll.get("multiple")),
        )

    # --- Moderator -----------------------------------------------------------------------------
    # Mastodon has no way to hide someone's reply from a thread (only filters, which are
    # per-account), and deletes only the account's own statuses.

    def moderation_actions(self, item: ItemRef) -> frozenset[Moderation]:
        if not item.remote_id:
            return frozenset()
        own = str(self.context.config.get("account_id") or self.context.account_id or "")
        if item.ours or (own and item.author_id == own):
            return frozenset({Moderation.DELETE})
        return frozenset({Moderation.LIKE, Moderation.UNLIKE})

    def like(self, item: ItemRef, *, idempotency_key: str) -> str:
        """POST /api/v1/statuses/:id/favourite; favouriting twice keeps one favourite, so a
        retry is harmless. A favourite has no id of its own."""
        with mapped():
            self.client.status_favourite(item.remote_id)
        return ""

    def unlike(self, item: ItemRef, *, idempotency_key: str) -> None:
        with mapped():
            self.client.status_unfavourite(item.remote_id)

    def delete_item(self, item: ItemRef, *, idempotency_key: str) -> None:
        """DELETE /api/v1/statuses/:id, which the server allows on the account's own statuses
        only (others' answer 404); a status already gone counts as deleted."""
        self._delete_status(item.remote_id)

    # --- InboxReader ---------------------------------------------------------------------------

    def fetch_inbox(self, since: Cursor | None) -> Page:
        """Mentions and replies from notifications; direct messages from conversations too,
        because Mastodon 4.3+ filters private mentions from strangers out of notifications by
        default while the conversation still appears. One status is one item."""
        state = json.loads(since.value) if since else {}
        mentions, newest_notification = self._pages(
            lambda **page: self.client.notifications(types=["mention"], **page),
            state.get("notifications", ""),
        )
        conversations, newest_conversation = self._pages(
            self.client.conversations,
            state.get("conversations", ""),
            position=lambda conversation: (conversation.get("last_status") or {}).get("id"),
        )
        found: dict[str, IncomingItem] = {}
        for notification in mentions:
            status = notification.get("status")
            if status:
                kind = mapping.kind_for_mention(status, self.own_account_id)
                found[str(status["id"])] = mapping.item(status, kind)
        for conversation in conversations:
            status = conversation.get("last_status")
            if status and str(status["account"]["id"]) != self.own_account_id:
                found.setdefault(str(status["id"]), mapping.item(status, ItemKind.DIRECT_MESSAGE))
        items = sorted(found.values(), key=lambda item: mapping.id_key(item.remote_id))
        cursor = {"notifications": newest_notification, "conversations": newest_conversation}
        return Page(items=tuple(items), cursor=Cursor(json.dumps(cursor, sort_keys=True)))

    def _pages(
        self,
        fetch: Callable[..., Sequence[Mapping[str, Any]]],
        after: str,
        position: Callable[[Mapping[str, Any]], Any] = lambda entry: entry.get("id"),
    ) -> tuple[list[Mapping[str, Any]], str]:
        """Everything after `after`, oldest page first (min_id leaves no gap, unlike since_id,
        which returns only the newest page). Without a position, only the latest page: a new
        channel does not import its whole history."""
        entries: list[Mapping[str, Any]] = []
        newest = after
        for _page in range(MAX_PAGES):
            with mapped():
                page = list(fetch(limit=PAGE_SIZE, **({"min_id": newest} if newest else {})))
            ids = [str(p) for p in map(position, page) if p]
            entries.extend(page)
            if not ids:
                break
            newest = mapping.newest(ids, newest)
            if not after or len(page) < PAGE_SIZE:
                break
        return entries, newest

    def reply(self, to: IncomingItem, post: OutgoingPost, *, idempotency_key: str) -> PublishedRef:
        """A reply that reaches its reader: it mentions them (Mastodon delivers direct and
        followers-only statuses only to those mentioned) and is never more public than what it
        answers, so a private conversation is not published to the world."""
        handle = to.author.handle
        text = post.text
        if handle and f"@{handle}".lower() not in text.lower():
            text = f"@{handle} {text}"
        visibility = self._reply_visibility(to, post.options.get("visibility"))
        answer = replace(
            post,
            text=text,
            reply_to=PublishedRef(to.remote_id),
            options={**post.options, "visibility": visibility},
        )
        return self.publish(answer, idempotency_key=idempotency_key)

    def _reply_visibility(self, to: IncomingItem, wanted: str | None) -> str:
        if to.kind == ItemKind.DIRECT_MESSAGE:
            return "direct"
        with mapped():
            parent = str(self.client.status(to.remote_id).get("visibility") or "public")
        candidates = [v for v in (wanted, parent) if v in VISIBILITIES]
        return max(candidates, key=VISIBILITIES.index, default="public")

    # --- InsightsReader ------------------------------------------------------------------------

    def post_metrics(self, refs: Sequence[PublishedRef]) -> list[MetricRow]:
        """Favourites, boosts, replies (and quotes where the server counts them) from each
        status. A status deleted since is skipped rather than failing the whole batch."""
        rows: list[MetricRow] = []
        for ref in refs:
            try:
                with mapped():
                    status = self.client.status(ref.remote_id)
            except Rejected:
                continue
            now = datetime.now(UTC)
            for metric, field in (
                ("likes", "favourites_count"),
                ("reposts", "reblogs_count"),
                ("replies", "replies_count"),
                ("quotes", "quotes_count"),
            ):
                if status.get(field) is not None:
                    rows.append(MetricRow(metric, int(status[field]), now, ref.remote_id))
        return rows

    def channel_metrics(self) -> list[MetricRow]:
        with mapped():
            account = self.client.account_verify_credentials()
        now = datetime.now(UTC)
        return [
            MetricRow(metric, int(account.get(field) or 0), now)
            for metric, field in (
                ("followers", "followers_count"),
                ("following", "following_count"),
                ("posts", "statuses_count"),
            )
        ]

    # --- ListeningSource -----------------------------------------------------------------------

    def search(self, query: str, since: Cursor | None) -> Page:
        """A single #tag reads the hashtag timeline (complete for what the instance knows); any
        other query uses full-text search, which covers only what the instance indexes (posts
        whose authors opted in, on servers with search enabled)."""
        query = query.strip()
        after = since.value if since else ""
        word = query[1:]
        if query.startswith("#") and word and all(c.isalnum() or c == "_" for c in word):

            def fetch(**page: Any) -> Sequence[Mapping[str, Any]]:
                return self.client.timeline_hashtag(word, **page)
        else:

            def fetch(**page: Any) -> Sequence[Mapping[str, Any]]:
                found = self.client.search_v2(query, resolve=False, result_type="statuses", **page)
                return list(found.get("statuses") or [])

        statuses, newest = self._pages(fetch, after)
        items = sorted(
            (mapping.item(status, ItemKind.MENTION) for status in statuses),
            key=lambda item: mapping.id_key(item.remote_id),
        )
        return Page(items=tuple(items), cursor=Cursor(newest) if newest else since)

    # --- Streamer ------------------------------------------------------------------------------

    def public_stream(
        self, terms: Sequence[str], since: Cursor | None
    ) -> AsyncIterator[IncomingItem]:
        """Public statuses with a term as they arrive: the hashtag streams when every term is a
        #tag, else the public stream filtered by the terms. No replay: `since` is ignored."""
        return streaming.public_stream(
            base_url=self._streaming_base(),
            access_token=self.context.credentials.get("access_token", ""),
            terms=terms,
            http_options=self._http_options,
        )

    def public_resume_from(self) -> Cursor | None:
        return None

    def _streaming_base(self) -> str:
        instance = self.context.config.get("instance") or {}
        urls = (instance.get("configuration") or {}).get("urls") or {}
        return streaming.http_base(urls.get("streaming") or self.instance_url)

    def stream(self, since: Cursor | None) -> AsyncIterator[IncomingItem]:
        """New mentions, replies and direct messages as they arrive (the user stream over SSE).
        A stream has no replay: callers catch up with fetch_inbox(since) before and after."""
        instance = self.context.config.get("instance") or {}
        urls = (instance.get("configuration") or {}).get("urls") or {}
        return streaming.user_stream(
            base_url=streaming.http_base(urls.get("streaming") or self.instance_url),
            access_token=self.context.credentials.get("access_token", ""),
            own_account_id=lambda: self.own_account_id,
            http_options=self._http_options,
        )
