"""The sandbox network (a simulation inside Kalrav, see kalrav/sandbox/): publishes, reads its
simulated audience's replies and mentions, answers them and reports growing metrics, so the demo
and a first try of Kalrav work without an account on any real network.

It talks to the sandbox's server module as other connectors talk HTTP: it hands it plain values
and turns its error answers into the contract's errors (`AuthExpired`, `Rejected`, `Transient`).
The sandbox keeps its own posts in Kalrav's database, but nothing of Kalrav's: variants,
messages and channel states are recorded by the services, as for every network.

Like the weakest real network, the sandbox makes a second post when the same one is sent twice;
it is therefore no `IdempotentPublisher`, but a `Reconciler`: it can look up the post made with
a key, so an unknown outcome is settled by looking, never by sending blind."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import ClassVar

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kalrav.connectors.account import AccountInfo, AccountVerifier
from kalrav.connectors.base import (
    Author,
    ConnectorContext,
    Cursor,
    InboxReader,
    IncomingItem,
    InsightsReader,
    ItemKind,
    MetricRow,
    NetworkRules,
    OutgoingPost,
    Page,
    Problem,
    PublishedRef,
    Publisher,
    Reconciler,
    SettingsField,
)
from kalrav.connectors.errors import AuthExpired, ConnectorError, RateLimited, Rejected, Transient
from kalrav.connectors.networks.sandbox.rules import RULES
from kalrav.connectors.rules import validate_post
from kalrav.sandbox.models import SandboxItem, SandboxPost
from kalrav.sandbox.server import SandboxError, SandboxServer, account_key


def translate(error: SandboxError) -> ConnectorError:
    """The sandbox's answer as the contract's error, by its HTTP status like any network's."""
    if error.status == 401:
        return AuthExpired(error.message)
    if error.status == 429:
        return RateLimited(error.message)
    if error.status >= 500:
        return Transient(error.message)
    return Rejected(error.message)


class SandboxConnector:
    slug: ClassVar[str] = "sandbox"
    label: ClassVar[str] = "Sandbox"
    rules: NetworkRules = RULES
    capabilities: ClassVar[tuple[type, ...]] = (
        Publisher,
        Reconciler,
        InboxReader,
        InsightsReader,
        AccountVerifier,
    )
    settings_fields: ClassVar[tuple[SettingsField, ...]] = (
        SettingsField(
            "handle",
            _("Name on the sandbox"),
            help_text=_(
                "Any name: the sandbox is a simulated network inside Kalrav, with a simulated "
                "audience. Nothing is posted anywhere else."
            ),
        ),
    )

    def __init__(self, context: ConnectorContext, server: SandboxServer | None = None) -> None:
        self.context = context
        self.server = server or SandboxServer()
        self.key = account_key(context.channel_id)

    def _ref(self, post: SandboxPost) -> PublishedRef:
        return PublishedRef(remote_id=post.remote_id, published_at=post.created_at)

    # --- AccountVerifier ---------------------------------------------------------------------

    def verify(self) -> AccountInfo:
        handle = str(self.context.config.get("handle") or "")
        try:
            account = self.server.sign_up(self.key, handle)
        except SandboxError as error:
            raise translate(error) from None
        return Author(remote_id=account.key, handle=account.handle, display_name=account.handle)

    # --- Publisher and Reconciler ------------------------------------------------------------

    def validate(self, post: OutgoingPost) -> list[Problem]:
        return validate_post(post, RULES)

    def _send(self, post: OutgoingPost, *, idempotency_key: str, parent: str = "") -> PublishedRef:
        problems = self.validate(post)
        if problems:
            raise Rejected(problems[0].message)
        try:
            made = self.server.publish(
                self.key,
                post.text,
                idempotency_key=idempotency_key,
                parent=parent,
                language=post.language,
            )
        except SandboxError as error:
            raise translate(error) from None
        return self._ref(made)

    def publish(self, post: OutgoingPost, *, idempotency_key: str) -> PublishedRef:
        return self._send(post, idempotency_key=idempotency_key)

    def delete(self, ref: PublishedRef, *, idempotency_key: str) -> None:
        try:
            self.server.delete(self.key, ref.remote_id)
        except SandboxError as error:
            if error.status == 404:
                return  # already gone: what a delete wanted
            raise translate(error) from None

    def reconcile(
        self, post: OutgoingPost, *, idempotency_key: str, not_before: datetime
    ) -> PublishedRef | None:
        try:
            found = self.server.find(self.key, idempotency_key, not_before)
        except SandboxError as error:
            raise translate(error) from None
        same = [made for made in found if made.text == post.text]
        return self._ref(same[0]) if same else None

    # --- InboxReader -------------------------------------------------------------------------

    def _item(self, item: SandboxItem) -> IncomingItem:
        return IncomingItem(
            kind=ItemKind.REPLY if item.kind == "reply" else ItemKind.MENTION,
            remote_id=item.remote_id,
            author=Author(
                remote_id=f"sandbox:{item.author_handle}",
                handle=item.author_handle,
                display_name=item.author_name,
            ),
            text=item.text,
            created_at=item.created_at,
            parent_id=item.parent_remote_id,
            root_id=item.parent_remote_id,
            language=item.language,
        )

    def fetch_inbox(self, since: Cursor | None) -> Page:
        after = int(since.value) if since and since.value.isdigit() else 0
        try:
            items = self.server.feed(self.key, after)
        except SandboxError as error:
            raise translate(error) from None
        last = items[-1].pk if items else after
        return Page(items=tuple(self._item(item) for item in items), cursor=Cursor(str(last)))

    def reply(self, to: IncomingItem, post: OutgoingPost, *, idempotency_key: str) -> PublishedRef:
        return self._send(post, idempotency_key=idempotency_key, parent=to.remote_id)

    # --- InsightsReader ----------------------------------------------------------------------

    def post_metrics(self, refs: Sequence[PublishedRef]) -> list[MetricRow]:
        try:
            found = self.server.metrics(self.key, [ref.remote_id for ref in refs])
        except SandboxError as error:
            raise translate(error) from None
        now = timezone.now()
        return [
            MetricRow(metric=name, value=value, measured_at=now, remote_id=remote_id)
            for remote_id, numbers in found.items()
            for name, value in numbers.items()
        ]

    def channel_metrics(self) -> list[MetricRow]:
        try:
            followers = self.server.followers(self.key)
        except SandboxError as error:
            raise translate(error) from None
        return [MetricRow(metric="followers", value=followers, measured_at=timezone.now())]
