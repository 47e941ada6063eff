"""Bluesky (AT Protocol) on any PDS, through the atproto SDK.

Publishing never posts twice: each post's record key is a TID derived from the idempotency key
(tid.py), so a retry names the same record; when the create fails for any reason but a refused
sign-in or a rate limit, the record is looked up by that key and, if it is there, the post is
already published and its reference is returned.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from atproto_client import Client, models
from atproto_client.models.utils import get_model_as_dict
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kalrav.connectors.account import (
    AccountInfo,
    AccountVerifier,
    CredentialRefresher,
    RenewedCredentials,
)
from kalrav.connectors.base import (
    ConnectorContext,
    Cursor,
    IdempotentPublisher,
    InboxReader,
    IncomingItem,
    InsightsReader,
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
    ReplyHider,
    ResumableStreamer,
    SettingsField,
    Streamer,
)
from kalrav.connectors.errors import AuthExpired, Rejected, Transient
from kalrav.connectors.networks.bluesky import mapping, public_stream, records, threadgate
from kalrav.connectors.networks.bluesky.client import DEFAULT_SERVICE, Transport, guarded_request
from kalrav.connectors.networks.bluesky.errors import translated
from kalrav.connectors.networks.bluesky.inbox import InboxMark
from kalrav.connectors.networks.bluesky.rules import RULES
from kalrav.connectors.networks.bluesky.session import SessionClient
from kalrav.connectors.networks.bluesky.stream import FirehoseStream
from kalrav.connectors.networks.bluesky.tid import tid_for_key
from kalrav.connectors.rules import validate_post
from kalrav.connectors.sessions import KeptInMemory

MediaReader = Callable[[MediaItem], bytes]
GET_POSTS_MAX = 25  # app.bsky.feed.getPosts takes at most 25 URIs
LIKE = "app.bsky.feed.like"
INBOX_PAGE = 50
INBOX_MAX_PAGES = 10  # a channel silent for long catches up over several fetches, not one


def read_from_storage(item: MediaItem) -> bytes:
    from django.core.files.storage import default_storage

    with default_storage.open(item.source, "rb") as handle:
        return handle.read()


class BlueskyConnector:
    slug: ClassVar[str] = "bluesky"
    label: ClassVar[str] = "Bluesky"
    rules: NetworkRules = RULES
    capabilities: ClassVar[tuple[type, ...]] = (
        Publisher,
        IdempotentPublisher,
        InboxReader,
        InsightsReader,
        ListeningSource,
        Streamer,
        ResumableStreamer,
        PublicStreamer,
        Moderator,
        ReplyHider,
        AccountVerifier,
        CredentialRefresher,
    )
    settings_fields: ClassVar[tuple[SettingsField, ...]] = (
        SettingsField(
            "service_url",
            gettext_lazy("PDS address"),
            kind="url",
            help_text=gettext_lazy(
                "https://bsky.social unless your account lives on another server."
            ),
        ),
        SettingsField(
            "handle",
            gettext_lazy("Handle"),
            help_text=gettext_lazy("Such as brand.bsky.social or brand.com."),
        ),
        SettingsField(
            "app_password",
            gettext_lazy("App password"),
            secret=True,
            kind="password",
            help_text=gettext_lazy(
                "Settings → Privacy and security → App passwords. Never your main password."
            ),
        ),
        SettingsField(
            "relay_url",
            gettext_lazy("Relay address"),
            kind="url",
            required=False,
            help_text=gettext_lazy(
                "Where Kalrav listens for replies and mentions as they happen, such as "
                "https://bsky.network. Empty: your PDS, which only sees accounts it hosts."
            ),
        ),
    )

    def __init__(
        self,
        context: ConnectorContext,
        *,
        transport: Transport | None = None,
        read_media: MediaReader = read_from_storage,
    ) -> None:
        self.context = context
        self.transport = transport or Transport()
        self.read_media = read_media
        self._client: Client | None = None
        self.stream_position: Cursor | None = None
        self.public_position: Cursor | None = None

    def close(self) -> None:
        """Close the SDK's HTTP client, if a session was opened."""
        if self._client is not None:
            self._client.request.close()
            self._client = None

    # --- session ---------------------------------------------------------------------------------

    @property
    def service_url(self) -> str:
        return str(self.context.config.get("service_url") or DEFAULT_SERVICE)

    @property
    def client(self) -> Client:
        """The SDK client on the channel's kept session (session.py): opening it signs in only
        when no usable session is kept and the kept one cannot be refreshed."""
        if self._client is None:
            self._open(force=False)
        assert self._client is not None
        return self._client

    def _open(self, *, force: bool) -> str:
        client = self._client or SessionClient(
            self.service_url,
            keeper=self.context.sessions
            or KeptInMemory(self.context.credentials.get("session", "")),
            handle=str(self.context.config.get("handle", "")),
            app_password=self.context.credentials.get("app_password", ""),
            request=guarded_request(self.transport),
        )
        try:
            session = client.open(force=force)
        except BaseException:
            if client is not self._client:
                client.request.close()  # the connector never held it, so could not close it
            raise
        self._client = client
        return session

    @property
    def did(self) -> str:
        return self._session_field("did")

    @property
    def handle(self) -> str:
        return self._session_field("handle")

    def _session_field(self, name: str) -> str:
        # The SDK keeps who signed in only on its session object (`me` needs an AppView).
        session = self.client._session
        if session is None:
            raise AuthExpired(_("Bluesky needs the channel to sign in again."))
        return str(getattr(session, name))

    def refresh(self) -> RenewedCredentials:
        """Refresh the session now (renew_credentials runs this ahead of the refresh token's
        expiry, so a channel that is seldom used never has to sign in again). The keeper has
        kept it already; it is handed back for the channel's stored credentials too."""
        return RenewedCredentials(credentials={"session": self._open(force=True)})

    # --- AccountVerifier ---------------------------------------------------------------------------

    def verify(self) -> AccountInfo:
        did = self.did
        with translated():
            profile = self.client.app.bsky.actor.get_profile(
                models.AppBskyActorGetProfile.Params(actor=did)
            )
        return mapping.author(get_model_as_dict(profile))

    # --- Publisher ---------------------------------------------------------------------------------

    def idempotency_key_window(self) -> timedelta | None:
        """The record key is a TID derived from the idempotency key, and a record stays under
        its key for as long as it exists: a resend names the same record, however late."""
        return None

    def validate(self, post: OutgoingPost) -> list[Problem]:
        return validate_post(post, self.rules)

    def publish(self, post: OutgoingPost, *, idempotency_key: str) -> PublishedRef:
        problems = self.validate(post)
        if problems:
            raise Rejected("; ".join(str(problem.message) for problem in problems))
        parent = self._full_ref(post.reply_to) if post.reply_to else None
        first: PublishedRef | None = None
        following: list[str] = []
        parts = [post, *post.thread]
        for number, part in enumerate(parts):
            key = idempotency_key if number == 0 else f"{idempotency_key}/thread/{number}"
            ref = self._create_post(part, key, parent)
            if first is None:
                first = ref
            else:
                following.append(ref.remote_id)
            parent = ref
        assert first is not None and parent is not None
        if post.first_comment:
            comment = self._create_post(
                OutgoingPost(text=post.first_comment, language=post.language),
                f"{idempotency_key}/first-comment",
                parent,
            )
            following.append(comment.remote_id)
        if following:
            first = PublishedRef(
                remote_id=first.remote_id,
                url=first.url,
                published_at=first.published_at,
                extra={**first.extra, "thread": " ".join(following)},
            )
        return first

    def delete(self, ref: PublishedRef, *, idempotency_key: str) -> None:
        """Deletes the post and the thread parts published with it. Deleting what is already gone
        succeeds (deleteRecord is idempotent), so a retried delete needs no key of its own."""
        uris = [ref.remote_id, *ref.extra.get("thread", "").split()]
        for uri in reversed(uris):
            repo, collection, rkey = mapping.split_uri(uri)
            with translated():
                self.client.com.atproto.repo.delete_record(
                    models.ComAtprotoRepoDeleteRecord.Data(
                        repo=repo, collection=collection, rkey=rkey
                    )
                )

    def _create_post(
        self, part: OutgoingPost, idempotency_key: str, parent: PublishedRef | None
    ) -> PublishedRef:
        rkey = tid_for_key(idempotency_key)
        existing = None
        embed = records.images_embed(part.media, self._upload) if part.media else None
        record = records.post_record(
            part.text,
            resolve_handle=self._resolve_handle,
            reply=records.reply_refs(parent) if parent else None,
            embed=embed,
            language=part.language,
        )
        try:
            with translated():
                created = self.client.com.atproto.repo.create_record(
                    models.ComAtprotoRepoCreateRecord.Data(
                        repo=self.did, collection=mapping.POST, rkey=rkey, record=record
                    )
                )
            uri, cid = created.uri, created.cid
        except (Rejected, Transient) as failure:
            # A record with this key already exists (the PDS answers 500 or 400 for that, by
            # version), or the outcome is unknown (a timeout): ask for the record itself, and
            # take it only if it is this post: a key used elsewhere must not pass for it.
            existing = self._get_record(mapping.POST, rkey)
            if existing is None:
                raise failure from None
            uri, cid, value = existing
            if not records.is_same_post(value, record):
                raise records.conflict() from None
        return self._ref(uri, cid, parent, datetime.now(UTC) if existing is None else None)

    def _ref(
        self, uri: str, cid: str, parent: PublishedRef | None, when: datetime | None
    ) -> PublishedRef:
        extra = {"cid": cid}
        if parent is not None:
            root = records.reply_refs(parent)["root"]
            extra |= {"root_uri": root["uri"], "root_cid": root["cid"]}
        return PublishedRef(
            remote_id=uri,
            url=mapping.post_url(uri, self.handle),
            published_at=when,
            extra=extra,
        )

    def _get_record(self, collection: str, rkey: str) -> tuple[str, str, dict[str, Any]] | None:
        """The record's URI, CID and value, or None when there is none under the key."""
        try:
            with translated():
                found = self.client.com.atproto.repo.get_record(
                    models.ComAtprotoRepoGetRecord.Params(
                        repo=self.did, collection=collection, rkey=rkey
                    )
                )
        except Rejected:
            return None  # 400 RecordNotFound
        value = found.value if isinstance(found.value, dict) else get_model_as_dict(found.value)
        return found.uri, str(found.cid), dict(value)

    def _upload(self, item: MediaItem) -> Mapping[str, Any]:
        data = self.read_media(item)
        with translated():
            uploaded = self.client.com.atproto.repo.upload_blob(
                data, headers={"Content-Type": item.mime_type}
            )
        return get_model_as_dict(uploaded.blob)

    def _resolve_handle(self, handle: str) -> str | None:
        try:
            with translated():
                return self.client.com.atproto.identity.resolve_handle(
                    models.ComAtprotoIdentityResolveHandle.Params(handle=handle)
                ).did
        except Rejected:
            return None  # an unknown handle stays plain text, as in the Bluesky app

    def _full_ref(self, ref: PublishedRef) -> PublishedRef:
        """A reference a reply can cite: with the CID and the thread root, fetched when a
        reference made elsewhere (an inbox item) lacks them."""
        if ref.extra.get("cid") and ref.extra.get("root_uri"):
            return ref
        views = self._post_views([ref.remote_id])
        if not views:
            raise Rejected(_("The post to reply to no longer exists."))
        view = views[0]
        root = ((view.get("record") or {}).get("reply") or {}).get("root") or {}
        return PublishedRef(
            remote_id=view["uri"],
            url=mapping.post_url(view["uri"]),
            extra={
                "cid": view["cid"],
                "root_uri": root.get("uri") or view["uri"],
                "root_cid": root.get("cid") or view["cid"],
            },
        )

    def _post_views(self, uris: Sequence[str]) -> list[dict[str, Any]]:
        views: list[dict[str, Any]] = []
        for start in range(0, len(uris), GET_POSTS_MAX):
            with translated():
                answer = self.client.app.bsky.feed.get_posts(
                    models.AppBskyFeedGetPosts.Params(
                        uris=list(uris[start : start + GET_POSTS_MAX])
                    )
                )
            views.extend(get_model_as_dict(view) for view in answer.posts)
        return views

    # --- Moderator and ReplyHider ------------------------------------------------------------------

    def moderation_actions(self, item: ItemRef) -> frozenset[Moderation]:
        """Others' posts can be liked; a reply in a thread the account started can be hidden (the
        threadgate lives beside the thread's first post, in the account's own repository); only
        the account's own records can be deleted."""
        try:
            repo, collection, _rkey = mapping.split_uri(item.remote_id)
        except ValueError:
            return frozenset()  # not a record (a chat message): nothing to act on
        if collection != mapping.POST:
            return frozenset()
        if item.ours or (self.context.account_id and repo == self.context.account_id):
            return frozenset({Moderation.DELETE})
        actions = {Moderation.LIKE, Moderation.UNLIKE}
        if item.root_id and item.root_id != item.remote_id and self._may_own(item.root_id):
            actions |= {Moderation.HIDE, Moderation.UNHIDE}
        return frozenset(actions)

    def _may_own(self, uri: str) -> bool:
        """Whether the record can be the account's: surely when its DID is the channel's, and
        possibly while the channel does not know its DID yet (the hide then checks)."""
        try:
            repo = mapping.split_uri(uri)[0]
        except ValueError:
            return False
        return not self.context.account_id or repo == self.context.account_id

    def like(self, item: ItemRef, *, idempotency_key: str) -> str:
        """An app.bsky.feed.like record citing the post; its record key comes from the
        idempotency key, so a retry finds the like it already made. Returns the like's URI."""
        target = self._full_ref(PublishedRef(remote_id=item.remote_id))
        rkey = tid_for_key(idempotency_key)
        record = {
            "$type": LIKE,
            "subject": records.strong_ref(target.remote_id, target.extra["cid"]),
            "createdAt": records.now_iso(),
        }
        try:
            with translated():
                created = self.client.com.atproto.repo.create_record(
                    models.ComAtprotoRepoCreateRecord.Data(
                        repo=self.did, collection=LIKE, rkey=rkey, record=record
                    )
                )
            return str(created.uri)
        except (Rejected, Transient):
            existing = self._get_record(LIKE, rkey)
            if existing is None:
                raise
            subject = existing[2].get("subject") or {}
            if subject.get("uri") != target.remote_id:
                raise Rejected(
                    _("Bluesky already holds a different like under this action's key.")
                ) from None
            return existing[0]

    def unlike(self, item: ItemRef, *, idempotency_key: str) -> None:
        """Delete the like record: the one like() made, else the one the AppView reports as the
        account's (a like made in another app). Deleting what is gone succeeds."""
        uri = item.like_id
        if not uri:
            views = self._post_views([item.remote_id])
            uri = str(((views[0].get("viewer") or {}) if views else {}).get("like") or "")
        if not uri:
            return  # nothing to undo
        self._delete_own(uri)

    def delete_item(self, item: ItemRef, *, idempotency_key: str) -> None:
        self._delete_own(item.remote_id)

    def _delete_own(self, uri: str) -> None:
        repo, collection, rkey = mapping.split_uri(uri)
        if repo != self.did:
            raise Rejected(_("Bluesky lets an account delete only its own posts and likes."))
        with translated():
            self.client.com.atproto.repo.delete_record(
                models.ComAtprotoRepoDeleteRecord.Data(repo=repo, collection=collection, rkey=rkey)
            )

    def hide(self, item: ItemRef, *, idempotency_key: str) -> None:
        """Add the reply to the thread's threadgate `hiddenReplies`, keeping who may reply as it
        was. The write names the threadgate's current version (swapRecord), so a change made
        meanwhile in another app fails instead of being overwritten."""
        threadgate.change_hidden(self.client, self.did, item, hide=True)

    def unhide(self, item: ItemRef, *, idempotency_key: str) -> None:
        threadgate.change_hidden(self.client, self.did, item, hide=False)

    # --- InboxReader -------------------------------------------------------------------------------

    def fetch_inbox(self, since: Cursor | None) -> Page:
        """Mentions, replies and quotes that arrived after `since`, oldest first. The cursor is a
        high-water mark (InboxMark), not listNotifications' own cursor, which walks backwards."""
        mark = InboxMark.parse(since.value) if since else None
        fresh: list[dict[str, Any]] = []
        page_cursor: str | None = None
        for _page in range(INBOX_MAX_PAGES):
            with translated():
                answer = self.client.app.bsky.notification.list_notifications(
                    models.AppBskyNotificationListNotifications.Params(
                        limit=INBOX_PAGE, cursor=page_cursor
                    )
                )
            batch = [get_model_as_dict(n) for n in answer.notifications]
            new = [n for n in batch if mark is None or mark.is_new(n)]
            fresh.extend(new)
            page_cursor = answer.cursor
            # The first fetch takes one page; later ones walk back until they meet the mark.
            if mark is None or len(new) < len(batch) or not page_cursor or not batch:
                break
        items = [item for n in fresh if (item := mapping.notification_item(n)) is not None]
        items.sort(key=lambda item: item.created_at)
        next_mark = InboxMark.after(mark, fresh)
        return Page(items=tuple(items), cursor=Cursor(next_mark.encode()) if next_mark else since)

    def reply(self, to: IncomingItem, post: OutgoingPost, *, idempotency_key: str) -> PublishedRef:
        target = PublishedRef(remote_id=to.remote_id, url=to.url)
        return self.publish(
            OutgoingPost(
                text=post.text,
                media=post.media,
                thread=post.thread,
                reply_to=target,
                language=post.language,
                options=post.options,
            ),
            idempotency_key=idempotency_key,
        )

    # --- InsightsReader ----------------------------------------------------------------------------

    def post_metrics(self, refs: Sequence[PublishedRef]) -> list[MetricRow]:
        views = self._post_views([ref.remote_id for ref in refs])
        return mapping.post_metrics(views, datetime.now(UTC))

    def channel_metrics(self) -> list[MetricRow]:
        did = self.did
        with translated():
            profile = self.client.app.bsky.actor.get_profile(
                models.AppBskyActorGetProfile.Params(actor=did)
            )
        return mapping.profile_metrics(get_model_as_dict(profile), datetime.now(UTC))

    # --- ListeningSource ---------------------------------------------------------------------------

    def search(self, query: str, since: Cursor | None) -> Page:
        """One page of app.bsky.feed.searchPosts (newest first); the cursor continues the same
        search further back."""
        with translated():
            answer = self.client.app.bsky.feed.search_posts(
                models.AppBskyFeedSearchPosts.Params(
                    q=query, cursor=since.value if since else None, limit=50, sort="latest"
                )
            )
        items = tuple(mapping.post_item(get_model_as_dict(view)) for view in answer.posts)
        return Page(items=items, cursor=Cursor(answer.cursor) if answer.cursor else None)

    # --- Streamer ----------------------------------------------------------------------------------

    async def stream(self, since: Cursor | None) -> AsyncIterator[IncomingItem]:
        """Replies, mentions and quotes as they happen. `stream_position` follows the firehose
        sequence number; store it and pass it back as `since` to resume."""
        did = await asyncio.to_thread(lambda: self.did)
        base = str(self.context.config.get("relay_url") or self.service_url)
        self.transport.guard_websocket(base)
        firehose = FirehoseStream(base, did, cursor=int(since.value) if since else None)
        async for item in firehose.items():
            if firehose.position is not None:
                self.stream_position = Cursor(str(firehose.position))
            yield item

    def resume_from(self) -> Cursor | None:
        return self.stream_position

    # --- PublicStreamer ----------------------------------------------------------------------------

    async def public_stream(
        self, terms: Sequence[str], since: Cursor | None
    ) -> AsyncIterator[IncomingItem]:
        """Every new public post containing one of `terms` (public_stream.py): from Jetstream
        when KALRAV_BLUESKY_JETSTREAM_URL names one, else from the relay's or PDS's firehose."""
        kind, stream = public_stream.open_stream(
            jetstream=str(getattr(settings, "BLUESKY_JETSTREAM_URL", "") or ""),
            base_url=str(self.context.config.get("relay_url") or self.service_url),
            terms=terms,
            since=since,
            guard=self.transport.guard_websocket,
        )
        async for item in stream.items():
            if stream.position is not None:
                self.public_position = Cursor(f"{kind}:{stream.position}")
            yield item

    def public_resume_from(self) -> Cursor | None:
        return self.public_position
