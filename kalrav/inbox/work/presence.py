"""Who else has a conversation open, and who is writing a reply to it right now.

Presence is a short-lived record in the cache (Redis in production; the database cache on a
single machine), one key per person and conversation, so two people refreshing at the same
moment never overwrite each other. The conversation page refreshes its own record every few
seconds; a record nobody refreshes expires on its own, so a closed tab disappears within
PRESENCE_SECONDS without any clean-up.

A collision that presence cannot prevent (two replies written at once) is caught when the
second reply is sent: see `check_reply`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kalrav.inbox.models import Conversation, Direction, Message
from kalrav.workspaces.models import Member

# The page refreshes every POLL_SECONDS; a record lives a little longer than two refreshes so
# one slow request does not make someone vanish and reappear.
POLL_SECONDS = 5
PRESENCE_SECONDS = 12
# "is replying" lasts this long after the last keystroke.
TYPING_SECONDS = 8


@dataclass(frozen=True)
class Presence:
    user_id: int
    name: str
    typing: bool


def _key(conversation_id: int, user_id: int) -> str:
    return f"inbox:presence:{conversation_id}:{user_id}"


def touch(conversation_id: int, user_id: int, name: str, *, typing: bool = False) -> None:
    """Say that this person has the conversation open (and is typing a reply, if so)."""
    now = time.time()
    key = _key(conversation_id, user_id)
    typing_until = now + TYPING_SECONDS if typing else 0.0
    if not typing:
        # A poll without a keystroke must not cut short the "is replying" of a recent one.
        previous = cache.get(key)
        if previous:
            typing_until = previous.get("typing_until", 0.0)
    cache.set(key, {"name": name, "typing_until": typing_until}, PRESENCE_SECONDS)


def leave(conversation_id: int, user_id: int) -> None:
    cache.delete(_key(conversation_id, user_id))


def others(member: Member, conversation_id: int) -> list[Presence]:
    """Everyone else in the workspace who has the conversation open now, typists first."""
    user_ids = list(
        Member.objects.filter(workspace_id=member.workspace_id)
        .exclude(user_id=member.user_id)
        .values_list("user_id", flat=True)
    )
    found = cache.get_many([_key(conversation_id, uid) for uid in user_ids])
    now = time.time()
    present = [
        Presence(
            user_id=uid,
            name=record["name"],
            typing=record.get("typing_until", 0.0) > now,
        )
        for uid in user_ids
        if (record := found.get(_key(conversation_id, uid)))
    ]
    return sorted(present, key=lambda p: (not p.typing, p.name.casefold()))


class ReplyCollision(ValidationError):
    """Someone else replied after the page was loaded; the reply waits for a confirmation."""

    def __init__(self, newer: list[Message]):
        self.newer = newer
        names = ", ".join(
            dict.fromkeys(
                (m.sent_by.display_name if m.sent_by else _("an automatic reply")) for m in newer
            )
        )
        super().__init__(
            {
                "seen_out_id": [
                    _(
                        "%(names)s replied while you were writing. Read the reply, then send "
                        "yours anyway or change it."
                    )
                    % {"names": names}
                ]
            }
        )


def last_outgoing_id(conversation: Conversation) -> int:
    """What the reply form remembers at page load: the newest reply from our side (0: none)."""
    return (
        conversation.messages.filter(direction=Direction.OUT)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
        or 0
    )


def check_reply(
    conversation: Conversation, user_id: int | None, seen_out_id: int | None, confirm: bool
) -> None:
    """Refuse a reply when someone else replied since the sender loaded the page, unless the
    sender confirms. A caller that does not say what it saw (seen_out_id None) is not checked:
    scripts over the API decide for themselves."""
    if seen_out_id is None or confirm:
        return
    # The sender's own replies (from another tab) are no surprise to them; a colleague's
    # reply or an automatic answer is what the warning is for.
    newer = list(
        conversation.messages.filter(direction=Direction.OUT, pk__gt=seen_out_id)
        .exclude(sent_by_id=user_id)
        .select_related("sent_by")
        .order_by("pk")
    )
    if newer:
        raise ReplyCollision(newer)
