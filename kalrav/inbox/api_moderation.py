"""Like, hide or delete a message on its network over the API (kalrav.inbox.moderation).
Registered beside the inbox router in kalrav/api/main.py. Each action answers 202 with the
message's moderation state: `pending` names the action until the network answers, then the
time it took effect is set, or `error` holds the network's own words."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status

from kalrav.api.auth import caller
from kalrav.api.schemas import ERRORS, perm
from kalrav.connectors.base import Moderation
from kalrav.inbox import moderation
from kalrav.inbox.models import Message
from kalrav.workspaces.permissions import Perm

router = Router(tags=["inbox"])


class ModerationOut(Schema):
    message_id: int
    actions: list[str]  # what the network allows on the message now
    liked_at: datetime | None
    hidden_at: datetime | None
    deleted_at: datetime | None
    pending: str
    error: str


def _state(member, message_id: int) -> dict:
    message = get_object_or_404(
        Message.objects.select_related("conversation", "channel"),
        pk=message_id,
        conversation__workspace=member.workspace,
    )
    allowed = moderation.available([message], message.channel)[message.pk]
    return {
        "message_id": message.pk,
        "actions": sorted(action.value for action in allowed),
        "liked_at": message.liked_at,
        "hidden_at": message.hidden_at,
        "deleted_at": message.deleted_at,
        "pending": message.moderation_pending,
        "error": message.moderation_error,
    }


@router.get(
    "/{ws}/messages/{message_id}/moderation",
    response={200: ModerationOut, **ERRORS},
    openapi_extra=perm(Perm.INBOX_VIEW),
)
def moderation_state(request: HttpRequest, ws: str, message_id: int):
    return _state(caller(request).member(ws, Perm.INBOX_VIEW), message_id)


def _operation(action: Moderation, summary: str):
    needed = moderation.NEEDS[action]

    def operation(request: HttpRequest, ws: str, message_id: int):
        who = caller(request)
        member = who.member(ws, needed)
        moderation.request(member, who.actor, message_id, action)
        return Status(202, _state(member, message_id))

    operation.__name__ = f"message_{action.value}"
    operation.__doc__ = summary
    router.post(
        f"/{{ws}}/messages/{{message_id}}/{action.value}",
        response={202: ModerationOut, **ERRORS},
        openapi_extra=perm(needed),
    )(operation)


_operation(Moderation.LIKE, "Like the message on its network.")
_operation(Moderation.UNLIKE, "Take back Kalrav's like.")
_operation(Moderation.HIDE, "Hide a reply in a thread the channel started (Bluesky).")
_operation(Moderation.UNHIDE, "Show a hidden reply again.")
_operation(
    Moderation.DELETE,
    "Delete the message on its network, for good. Kalrav keeps its copy, marked deleted.",
)
