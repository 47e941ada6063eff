"""Matrix community rooms on any homeserver (Synapse, Conduit, Dendrite…): one channel is one
account in one unencrypted room. Posts, replies and reactions are room events; deleting is a
redaction; the inbox reads the room's messages forward from a pagination token, and the stream
follows the room with /sync (sync.py).

Credentials: an access token, not a password. Logging in with a password would create a new
device on every login and keep a secret that can change the password or deactivate the account;
a token can do neither and is revoked by logging out its device, which the user controls.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar

from django.core.exceptions import SuspiciousFileOperation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kalrav.connectors.account import AccountInfo, AccountVerifier
from kalrav.connectors.base import (
    ConnectorContext,
    Cursor,
    IdempotentPublisher,
    InboxReader,
    IncomingItem,
    ItemRef,
    MediaItem,
    Moderation,
    Moderator,
    NetworkRules,
    OutgoingPost,
    Page,
    Problem,
    PublishedRef,
    Publisher,
    ResumableStreamer,
    SettingsField,
    Streamer,
)
from kalrav.connectors.errors import Rejected
from kalrav.connectors.http import HttpClient
from kalrav.connectors.networks.matrix import content as events
from kalrav.connectors.networks.matrix import sync
from kalrav.connectors.networks.matrix.client import MatrixApi, new_http
from kalrav.connectors.networks.matrix.mapping import EVENT_FILTER, display_names, incoming_item
from kalrav.connectors.networks.matrix.rules import MAX_CONTENT_BYTES, RULES
from kalrav.connectors.rules import validate_post

MESSAGE = "m.room.message"
REACTION = "m.reaction"
LIKE = "👍"
# One inbox call reads at most this many events; the cursor continues from there next time.
PAGE_SIZE = 100
MAX_PAGES = 10
FIRST_PAGE = 50  # without a cursor: the room's latest messages
TRANSACTION_MEMORY = timedelta(hours=24)  # how long Synapse remembers a transaction id
# How long the homeserver holds a /sync open when nothing happens. A message ends the wait at
# once, so this costs no latency; it bounds how long stopping the stream waits for the request.
SYNC_WAIT_SECONDS = 10.0


def read_from_storage(item: MediaItem) -> bytes:
    """The attachment's bytes; `source` is its key in Kalrav's media storage."""
    from django.core.files.storage import default_storage

    with default_storage.open(item.source, "rb") as handle:
        return handle.read()


class MatrixConnector:
    slug: ClassVar[str] = "matrix"
    label: ClassVar[str] = "Matrix"
    rules: NetworkRules = RULES
    capabilities: ClassVar[tuple[type, ...]] = (
        Publisher,
        IdempotentPublisher,
        InboxReader,
        Streamer,
        ResumableStreamer,
        Moderator,
        AccountVerifier,
    )
    settings_fields: ClassVar[tuple[SettingsField, ...]] = (
        SettingsField(
            "homeserver_url",
            gettext_lazy("Homeserver address"),
            kind="url",
            help_text=gettext_lazy(
                "The address your Matrix client connects to, such as https://matrix.example.org."
            ),
        ),
        SettingsField(
            "user_id",
            gettext_lazy("Matrix ID"),
            help_text=gettext_lazy("The account's full ID, such as @brand:example.org."),
        ),
        SettingsField(
            "access_token",
            gettext_lazy("Access token"),
            secret=True,
            kind="password",
            help_text=gettext_lazy(
                "Sign in as the account in a client of its own for Kalrav and copy its access token "
                "(Element: Settings → Help & About). Signing that session out revokes it."
            ),
        ),
        SettingsField(
            "room",
            gettext_lazy("Room"),
            help_text=gettext_lazy(
                "The room's alias (#community:example.org) or ID (!abc:example.org). The account "
                "must have joined it; end-to-end encrypted rooms are not supported."
            ),
        ),
    )

    def __init__(
        self,
        context: ConnectorContext,
        *,
        http: HttpClient | None = None,
        read_media: Callable[[MediaItem], bytes] = read_from_storage,
    ) -> None:
        self.context = context
        self.user_id = str(context.config.get("user_id", ""))
        self.api = MatrixApi(
            http
            or new_http(
                str(context.config.get("homeserver_url", "")),
                context.credentials.get("access_token", ""),
            )
        )
        self.read_media = read_media
        self._room_id = ""
        self._stream_position: Cursor | None = None

    def close(self) -> None:
        """Close the HTTP client (also one the caller handed in: the connector owns it now)."""
        self.api.http.close()

    # --- the room ------------------------------------------------------------------------------

    def room_id(self) -> str:
        """The configured room's ID; an alias is resolved once per connector."""
        if not self._room_id:
            room = str(self.context.config.get("room", "")).strip()
            if room.startswith("#"):
                try:
                    room = self.api.resolve_alias(room)
                except Rejected as error:
                    raise Rejected(
                        _("The room %(room)s cannot be found (%(reason)s).")
                        % {"room": room, "reason": error.reason}
                    ) from None
            self._room_id = room
        return self._room_id

    # --- AccountVerifier -----------------------------------------------------------------------

    def verify(self) -> AccountInfo:
        """Whose token this is, and that the account can read and post in the room."""
        user_id = str(self.api.whoami().get("user_id", ""))
        if self.user_id and user_id != self.user_id:
            raise Rejected(
                _("The access token belongs to %(actual)s, not to %(configured)s.")
                % {"actual": user_id, "configured": self.user_id}
            )
        room = self.room_id()
        if room not in self.api.joined_rooms():
            raise Rejected(
                _("%(user)s has not joined the room %(room)s; join it with this account first.")
                % {"user": user_id, "room": room}
            )
        if self._encrypted(room):
            raise Rejected(
                _(
                    "The room %(room)s is end-to-end encrypted; Kalrav can only use unencrypted rooms."
                )
                % {"room": room}
            )
        try:
            name = str(self.api.profile(user_id).get("displayname") or "")
        except Rejected:
            name = ""  # a profile hidden from lookups is no reason to refuse the channel
        return AccountInfo(
            remote_id=user_id, handle=user_id, display_name=name, url=events.user_link(user_id)
        )

    def _encrypted(self, room: str) -> bool:
        try:
            self.api.state_event(room, "m.room.encryption")
        except Rejected as error:
            if error.reason.startswith("M_NOT_FOUND"):
                return False
            raise
        return True

    # --- Publisher -----------------------------------------------------------------------------

    def idempotency_key_window(self) -> timedelta | None:
        """Messages carry a transaction id derived from the key, which the homeserver dedupes
        per device. The specification sets no time; Synapse forgets a transaction id after 24
        hours (`_cleanup_old_transaction_ids`), so a later resend could post twice."""
        return TRANSACTION_MEMORY

    def validate(self, post: OutgoingPost) -> list[Problem]:
        problems = validate_post(post, self.rules)
        for index, item in enumerate(post.media):
            # The alt text is the image event's body, so the event's size limit bounds it.
            size = events.canonical_size(self._image_content(item, "mxc://x/y"))
            if size > MAX_CONTENT_BYTES:
                problems.append(
                    Problem(
                        "alt_text_too_long",
                        _(
                            "The alternative text makes the image event %(size)d bytes; the limit is %(max)d."
                        )
                        % {"size": size, "max": MAX_CONTENT_BYTES},
                        target=f"media[{index}]",
                    )
                )
        return problems

    def publish(self, post: OutgoingPost, *, idempotency_key: str) -> PublishedRef:
        relation = {}
        if post.reply_to is not None:
            relation = {
                "reply_to": post.reply_to.remote_id,
                "reply_to_sender": post.reply_to.extra.get("sender", ""),
            }
        return self._send_post(post, idempotency_key, relation)

    def delete(self, ref: PublishedRef, *, idempotency_key: str) -> None:
        room = ref.extra.get("room_id") or self.room_id()
        for part, event_id in enumerate(ref.extra.get("event_ids", "").split() or [ref.remote_id]):
            try:
                self.api.redact(room, event_id, events.transaction_id(idempotency_key, part))
            except Rejected as error:
                if not error.reason.startswith("M_NOT_FOUND"):
                    raise
                # Already gone (or never visible to us): nothing is left to delete.

    def _send_post(
        self, post: OutgoingPost, idempotency_key: str, relation: dict[str, str]
    ) -> PublishedRef:
        problems = self.validate(post)
        if problems:
            raise Rejected("; ".join(str(problem.message) for problem in problems))
        room = self.room_id()
        sent: list[str] = []
        # Part numbers are fixed by the post's shape (text 0, images 1…n), so a retry with the
        # same key maps every event to the transaction it had the first time.
        if post.text.strip():
            body = events.text_content(post.text, **relation)
            sent.append(self._send(room, MESSAGE, idempotency_key, 0, body))
        for number, item in enumerate(post.media, start=1):
            # Uploads are not idempotent: a retried post uploads again, and the repeated send
            # returns the first event, leaving the second upload unused in the media repository.
            uri = self.api.upload(
                self._bytes(item, number), item.mime_type, self._filename(item, number)
            )
            image = self._image_content(item, uri, number)
            if not sent and relation.get("reply_to"):
                image["m.relates_to"] = {"m.in_reply_to": {"event_id": relation["reply_to"]}}
            sent.append(self._send(room, MESSAGE, idempotency_key, number, image))
        return self._ref(room, sent)

    def _send(self, room: str, event_type: str, key: str, part: int, body: dict[str, Any]) -> str:
        return self.api.send(room, event_type, events.transaction_id(key, part), body)

    def _ref(self, room: str, event_ids: Sequence[str]) -> PublishedRef:
        return PublishedRef(
            remote_id=event_ids[0],
            url=events.permalink(room, event_ids[0]),
            extra={"room_id": room, "event_ids": " ".join(event_ids), "sender": self.user_id},
        )

    def _bytes(self, item: MediaItem, number: int) -> bytes:
        try:
            return self.read_media(item)
        except (OSError, ValueError, SuspiciousFileOperation):
            raise Rejected(
                _("The file of attachment %(number)d cannot be read.") % {"number": number}
            ) from None

    @staticmethod
    def _filename(item: MediaItem, number: int = 1) -> str:
        extension = item.mime_type.rpartition("/")[2] or "bin"
        return Path(item.source).name or f"image-{number}.{extension}"

    def _image_content(self, item: MediaItem, uri: str, number: int = 1) -> dict[str, Any]:
        return events.image_content(
            url=uri,
            alt_text=item.alt_text,
            filename=self._filename(item, number),
            mime_type=item.mime_type,
            size=item.size,
            width=item.width,
            height=item.height,
        )

    # --- InboxReader ---------------------------------------------------------------------------

    def fetch_inbox(self, since: Cursor | None) -> Page:
        """Messages in the room after `since` (a /messages or /sync token), oldest first. Without
        a cursor: the latest messages, and a cursor at the room's present."""
        room = self.room_id()
        user_id = self.user_id or str(self.api.whoami().get("user_id", ""))
        if since is None:
            page = self.api.messages(
                room, direction="b", limit=FIRST_PAGE, event_filter=EVENT_FILTER
            )
            found = list(reversed(page.get("chunk", [])))
            names = display_names(page.get("state", []))
            token = str(page.get("start", ""))
        else:
            found, names, token = [], {}, since.value
            for _page in range(MAX_PAGES):
                page = self.api.messages(
                    room, direction="f", since=token, limit=PAGE_SIZE, event_filter=EVENT_FILTER
                )
                found += page.get("chunk", [])
                names |= display_names(page.get("state", []))
                # A page may be empty yet have an `end` (the filter skipped its events); only a
                # missing `end` means the present was reached, and the same token reads on later.
                following = str(page.get("end") or "")
                if not following or following == token:
                    break
                token = following
        items = [
            item
            for event in found
            if (item := incoming_item(event, room_id=room, user_id=user_id, names=names))
        ]
        return Page(items=tuple(items), cursor=Cursor(token) if token else since)

    def reply(self, to: IncomingItem, post: OutgoingPost, *, idempotency_key: str) -> PublishedRef:
        """Answer where the question was asked: in the main timeline as a reply to it, or in
        its thread when the fan wrote in one."""
        relation = {
            "reply_to": to.remote_id,
            "reply_to_sender": to.author.remote_id,
            "thread_root": self._thread_of(to.remote_id),
        }
        return self._send_post(post, idempotency_key, relation)

    def _thread_of(self, event_id: str) -> str:
        """The root of the thread the event was written in; "" in the main timeline. The
        item's `root_id` cannot tell: the inbox gives the conversation's first item there,
        which for a main-timeline reply is the post it answers. The event itself says."""
        try:
            event = self.api.event(self.room_id(), event_id)
        except Rejected:
            return ""  # gone or hidden from us: the main timeline is where it can still be seen
        relation = (event.get("content") or {}).get("m.relates_to") or {}
        if relation.get("rel_type") == "m.thread":
            return str(relation.get("event_id") or "")
        return ""

    # --- Streamer ------------------------------------------------------------------------------

    async def stream(self, since: Cursor | None) -> AsyncIterator[IncomingItem]:
        """The room's new messages as they arrive (/sync, sync.py). Without `since`: from now.
        After each item, `resume_from()` resumes after it (the batch's own token for its last
        item, the token before the batch for the others: a resumed batch is read again whole)."""
        room = await asyncio.to_thread(self.room_id)
        user_id = self.user_id or str((await asyncio.to_thread(self.api.whoami)).get("user_id", ""))
        wanted = sync.sync_filter(room)
        token = since.value if since else await self._present(room)
        kept = token
        while True:
            try:
                answer = await asyncio.to_thread(
                    self.api.sync, since=token, wait_seconds=SYNC_WAIT_SECONDS, sync_filter=wanted
                )
            except Rejected:
                if token != kept or not since:
                    raise
                # The homeserver no longer knows the kept token (its database was replaced):
                # start from now rather than fail for ever; polling reads what lies between.
                token = kept = await self._present(room)
                continue
            following = str(answer.get("next_batch") or token)
            found, names, limited = sync.room_batch(answer, room)
            if limited:
                # More happened than one answer holds: read the gap forward from our token.
                page = await asyncio.to_thread(self.fetch_inbox, Cursor(token))
                items = list(page.items)
            else:
                items = [
                    item
                    for event in found
                    if (item := incoming_item(event, room_id=room, user_id=user_id, names=names))
                ]
            for number, item in enumerate(items, start=1):
                self._stream_position = Cursor(following if number == len(items) else token)
                yield item
            token = following

    def resume_from(self) -> Cursor | None:
        return self._stream_position

    async def _present(self, room: str) -> str:
        """A /sync token at the room's present. The first /sync also returns the room's recent
        past, which polling reads; the stream starts after it."""
        first = await asyncio.to_thread(
            self.api.sync,
            since="",
            wait_seconds=0,
            sync_filter=sync.sync_filter(room, timeline_limit=1),
        )
        return str(first.get("next_batch") or "")

    # --- Moderator -----------------------------------------------------------------------------
    # Matrix has no hiding; deleting is a redaction, which the room's power levels allow on the
    # account's own events and, for moderators, on anyone's; the homeserver has the last word.

    def moderation_actions(self, item: ItemRef) -> frozenset[Moderation]:
        if not item.remote_id.startswith("$"):
            return frozenset()
        if item.ours or (self.user_id and item.author_id == self.user_id):
            return frozenset({Moderation.DELETE})
        return frozenset({Moderation.LIKE, Moderation.UNLIKE, Moderation.DELETE})

    def like(self, item: ItemRef, *, idempotency_key: str, reaction: str = LIKE) -> str:
        """React to the event (👍 by default); returns the reaction's event id."""
        room = self.room_id()
        try:
            return self._send(
                room,
                REACTION,
                idempotency_key,
                0,
                events.reaction_content(item.remote_id, reaction),
            )
        except Rejected as error:
            # Synapse refuses a second identical reaction from the same user; the first one is
            # the like the caller wants.
            event_id = (
                self._existing_reaction(room, item.remote_id, reaction)
                if (error.reason.startswith("M_DUPLICATE_ANNOTATION"))
                else ""
            )
            if not event_id:
                raise
            return event_id

    def unlike(self, item: ItemRef, *, idempotency_key: str) -> None:
        """Redact the reaction: the one like() made, else the account's 👍 found among the
        event's reactions (a like made in another client)."""
        room = self.room_id()
        event_id = item.like_id or self._existing_reaction(room, item.remote_id, LIKE)
        if event_id:
            self._redact(room, event_id, idempotency_key)

    def delete_item(self, item: ItemRef, *, idempotency_key: str) -> None:
        self._redact(self.room_id(), item.remote_id, idempotency_key)

    def _redact(self, room: str, event_id: str, idempotency_key: str) -> None:
        try:
            self.api.redact(room, event_id, events.transaction_id(idempotency_key, 0))
        except Rejected as error:
            if not error.reason.startswith("M_NOT_FOUND"):
                raise

    def _existing_reaction(self, room: str, remote_id: str, reaction: str) -> str:
        for event in self.api.reactions(room, remote_id):
            relation = event.get("content", {}).get("m.relates_to", {})
            if event.get("sender") == self.user_id and relation.get("key") == reaction:
                return str(event["event_id"])
        return ""
