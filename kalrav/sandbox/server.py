"""The sandbox network's side of every request: what a real network's API server does, against
the sandbox's own tables. The connector is its only client (views change only the outage switch
and read what is there), and it answers in plain values or a `SandboxError` carrying the status
and body a real API would send, so the connector translates errors as for any network.

Like the weakest real network, it deduplicates nothing: the same text sent twice, with the same
key or not, makes two posts. It keeps the key with each post, so a client can look up what it
made with a key (`find`) before sending again after an answer that never came.

The audience is simulated lazily: reading the feed first writes the replies and mentions that
are due by now (audience.py decides which and when), so a feed read twice in a row gives the
same items, and a cursor (the last item's id) never skips or repeats one."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from kalrav.sandbox import audience
from kalrav.sandbox.models import SandboxAccount, SandboxItem, SandboxPost

MAX_LENGTH = 500  # graphemes, as the connector's rules declare
FEED_PAGE = 100


@dataclass(frozen=True)
class SandboxError(Exception):
    """An answer other than success: the HTTP status and JSON body a real API would send. The
    message is stored as the network's words and translated where it is shown (gettext_noop marks it)."""

    status: int
    error: str
    message: str

    def __str__(self) -> str:
        return self.message


def account_key(channel_id: int | str) -> str:
    return f"channel-{channel_id}"


class SandboxServer:
    """One instance per connector; it holds nothing between requests but the clock it uses."""

    def now(self) -> datetime:
        return timezone.now()

    # --- accounts ---------------------------------------------------------------------------

    def sign_up(self, key: str, handle: str) -> SandboxAccount:
        """The account, made on first use (the sandbox needs no password)."""
        account, _created = SandboxAccount.objects.get_or_create(
            key=key, defaults={"handle": handle or key, "created_at": self.now()}
        )
        self._refuse_in_outage(account)
        return account

    def _open(self, key: str) -> SandboxAccount:
        account = SandboxAccount.objects.filter(key=key).first()
        if account is None:
            raise SandboxError(
                401,
                "AccountNotFound",
                gettext_noop("No sandbox account signed in as this channel."),
            )
        self._refuse_in_outage(account)
        return account

    def _refuse_in_outage(self, account: SandboxAccount) -> None:
        if account.outage:
            raise SandboxError(
                503,
                "Outage",
                gettext_noop("The sandbox network is down (an outage switched on by hand)."),
            )

    # --- posts -------------------------------------------------------------------------------

    def publish(
        self, key: str, text: str, *, idempotency_key: str, parent: str = "", language: str = ""
    ) -> SandboxPost:
        account = self._open(key)
        if not text.strip():
            raise SandboxError(400, "EmptyText", gettext_noop("A sandbox post needs some text."))
        if len(text) > MAX_LENGTH * 4:  # the rules count graphemes; this refuses the absurd only
            raise SandboxError(
                400, "TextTooLong", gettext_noop("The text is longer than the sandbox accepts.")
            )
        return SandboxPost.objects.create(
            account=account,
            remote_id=f"sbx-{secrets.token_hex(8)}",
            text=text,
            idempotency_key=idempotency_key,
            parent_remote_id=parent,
            language=language,
            created_at=self.now(),
        )

    def find(self, key: str, idempotency_key: str, since: datetime) -> list[SandboxPost]:
        """The account's posts made with this key since `since`, oldest first."""
        account = self._open(key)
        return list(
            SandboxPost.objects.filter(
                account=account,
                idempotency_key=idempotency_key,
                created_at__gte=since,
                deleted_at=None,
            ).order_by("created_at", "id")
        )

    def delete(self, key: str, remote_id: str) -> None:
        account = self._open(key)
        gone = SandboxPost.objects.filter(account=account, remote_id=remote_id).update(
            deleted_at=self.now()
        )
        if not gone:
            raise SandboxError(
                404, "NotFound", gettext_noop("There is no such post on the sandbox account.")
            )

    # --- what the audience writes ------------------------------------------------------------

    def feed(self, key: str, after: int) -> list[SandboxItem]:
        """Replies and mentions with an id above `after`, oldest first, up to one page."""
        account = self._open(key)
        self._arrive(account)
        return list(SandboxItem.objects.filter(account=account, id__gt=after)[:FEED_PAGE])

    def _arrive(self, account: SandboxAccount) -> None:
        now = self.now()
        due: list[tuple[str, str, str, datetime]] = []  # remote id, kind, parent, moment
        for post in SandboxPost.objects.filter(
            account=account, parent_remote_id="", deleted_at=None
        ):
            for n, moment in audience.replies_due(post.remote_id, post.created_at, now):
                due.append((f"{post.remote_id}-r{n}", "reply", post.remote_id, moment))
        for n, moment in audience.mentions_due(account.key, account.created_at, now):
            due.append((f"{account.key}-m{n}", "mention", "", moment))
        known = set(
            SandboxItem.objects.filter(
                account=account, remote_id__in=[remote_id for remote_id, *_ in due]
            ).values_list("remote_id", flat=True)
        )
        # In the order they were written, so the feed's ids follow the audience's clock.
        for remote_id, kind, parent, moment in sorted(due, key=lambda d: d[3]):
            if remote_id in known:
                continue
            said = audience.voice(account.key, remote_id)
            try:
                with transaction.atomic():
                    SandboxItem.objects.create(
                        account=account,
                        remote_id=remote_id,
                        kind=kind,
                        author_handle=said.handle,
                        author_name=said.name,
                        text=said.text,
                        language=said.language,
                        parent_remote_id=parent,
                        created_at=moment,
                    )
            except IntegrityError:
                continue  # another reader of the feed wrote it first

    # --- numbers -----------------------------------------------------------------------------

    def metrics(self, key: str, remote_ids: list[str]) -> dict[str, dict[str, int]]:
        account = self._open(key)
        now = self.now()
        return {
            post.remote_id: audience.engagement(post.remote_id, post.created_at, now)
            for post in SandboxPost.objects.filter(account=account, remote_id__in=remote_ids)
        }

    def followers(self, key: str) -> int:
        account = self._open(key)
        days = max((self.now() - account.created_at).days, 0)
        return 120 + audience.digest("followers", key) % 80 + days * 3


# --- what the sandbox page changes -------------------------------------------------------------


def set_outage(key: str, on: bool) -> bool:
    """Switch the outage for an account; whether the account exists."""
    return bool(SandboxAccount.objects.filter(key=key).update(outage=on))
