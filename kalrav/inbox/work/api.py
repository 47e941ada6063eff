"""The API of the inbox's daily work: bulk changes, saved views, the problems list, mentions,
sentiment corrections, and liking, hiding or deleting a message on its network (mounted beside
the inbox router in kalrav/api_root.py). Moderation answers 202 with the message's moderation
state: `pending` names the action until the network answers, then the time it took effect is
set, or `error` holds the network's own words."""

from __future__ import annotations

from datetime import datetime

from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema, Status

from kalrav.api.auth import ApiRequest, caller, requires
from kalrav.api.schemas import ERRORS
from kalrav.connectors.base import Moderation
from kalrav.inbox.corrections.services import correct_sentiment
from kalrav.inbox.models import Conversation, InboxNotification, Message, SavedView
from kalrav.inbox.work import bulk, moderation, problems, saved_views
from kalrav.workspaces.permissions import Perm

router = Router(tags=["inbox"])


class BulkIn(Schema):
    ids: list[int]
    action: str
    value: str | int | None = None


class BulkOut(Schema):
    updated: list[int]


class SavedViewIn(Schema):
    name: str
    filters: dict[str, str] = {}
    shared: bool = False


class SavedViewPatch(Schema):
    name: str | None = None
    filters: dict[str, str] | None = None
    shared: bool | None = None


class SavedViewOut(Schema):
    id: int
    name: str
    shared: bool
    owner_id: int
    filters: dict[str, str]
    open_count: int
    unread_count: int


class SentimentIn(Schema):
    sentiment: str


class CorrectedOut(Schema):
    id: int
    sentiment: str
    sentiment_corrected_by_id: int | None
    sentiment_corrected_at: datetime | None
    conversation_sentiment: str
    conversation_priority: int


class ProblemOut(Schema):
    id: int
    author_handle: str
    author_name: str
    excerpt: str
    state: str
    priority: int
    sentiment: str
    tags: list[str]
    assignee_id: int | None
    received_at: datetime
    age_minutes: float


class MentionOut(Schema):
    id: int
    conversation_id: int
    note_id: int | None
    actor_id: int | None
    text: str
    created_at: datetime
    read_at: datetime | None


class Paging(Schema):
    limit: int = 50
    before_id: int | None = None


def _view_out(member, view: SavedView) -> dict:
    rows = saved_views.matching(member, view.filters).filter(state__in=problems.OPEN_STATES)
    return {
        "id": view.pk,
        "name": view.name,
        "shared": view.shared,
        "owner_id": view.owner_id,
        "filters": view.filters,
        "open_count": saved_views._capped(rows),
        "unread_count": saved_views._capped(rows.filter(unread=True)),
    }


@router.post(
    "/{ws}/conversations-bulk",
    response={200: BulkOut, **ERRORS},
)
@requires(Perm.INBOX_REPLY)
def bulk_update(request: ApiRequest, ws: str, payload: BulkIn):
    """One action on many conversations, all or nothing: `assign` (value: a member's user id,
    or null for nobody), `state`, `tag` (adds one) or `priority` (0 to 3). Ids outside the
    workspace are ignored; `updated` lists the conversations the action was applied to."""
    who = caller(request)
    member = request.member
    return {
        "updated": bulk.bulk_update(member, who.actor, payload.ids, payload.action, payload.value)
    }


@router.get(
    "/{ws}/problems",
    response={200: list[ProblemOut], **ERRORS},
)
@requires(Perm.INBOX_VIEW)
def list_problems(request: ApiRequest, ws: str, paging: Query[Paging]):
    """Open complaints (negative, tagged "complaint", or high or urgent priority), oldest first."""
    from django.utils import timezone

    member = request.member
    found = problems.only_problems(Conversation.objects.filter(workspace=member.workspace))
    if paging.before_id:
        found = found.filter(id__lt=paging.before_id)
    now = timezone.now()
    rows = found.order_by("received_at", "id")[: max(1, min(paging.limit, 200))]
    return [
        {
            **{f: getattr(c, f) for f in ProblemOut.model_fields if f != "age_minutes"},
            "age_minutes": round((now - c.received_at).total_seconds() / 60, 1),
        }
        for c in rows
    ]


@router.get(
    "/{ws}/views",
    response={200: list[SavedViewOut], **ERRORS},
)
@requires(Perm.INBOX_VIEW)
def list_views(request: ApiRequest, ws: str):
    """The caller's saved views and those shared with the workspace, with their counts."""
    member = request.member
    return [_view_out(member, view) for view in saved_views.visible(member)]


@router.post(
    "/{ws}/views",
    response={201: SavedViewOut, **ERRORS},
)
@requires(Perm.INBOX_VIEW)
def create_view(request: ApiRequest, ws: str, payload: SavedViewIn):
    """Filters use the inbox list's parameters: q, state, assignee, channel, sentiment, sort."""
    who = caller(request)
    member = request.member
    view = saved_views.save_view(
        member, who.actor, name=payload.name, filters=payload.filters, shared=payload.shared
    )
    return Status(201, _view_out(member, view))


@router.patch(
    "/{ws}/views/{view_id}",
    response={200: SavedViewOut, **ERRORS},
)
@requires(Perm.INBOX_VIEW)
def change_view(request: ApiRequest, ws: str, view_id: int, payload: SavedViewPatch):
    who = caller(request)
    member = request.member
    view = saved_views.change_view(
        member,
        who.actor,
        view_id,
        name=payload.name,
        shared=payload.shared,
        filters=payload.filters,
    )
    return _view_out(member, view)


@router.delete(
    "/{ws}/views/{view_id}",
    response={204: None, **ERRORS},
)
@requires(Perm.INBOX_VIEW)
def delete_view(request: ApiRequest, ws: str, view_id: int):
    who = caller(request)
    saved_views.delete_view(request.member, who.actor, view_id)
    return Status(204, None)


@router.get(
    "/{ws}/mentions",
    response={200: list[MentionOut], **ERRORS},
)
@requires(Perm.INBOX_VIEW)
def list_mentions(request: ApiRequest, ws: str, paging: Query[Paging]):
    """Notes that mention the caller, newest first."""
    member = request.member
    found = InboxNotification.objects.filter(user_id=member.user_id, workspace=member.workspace)
    if paging.before_id:
        found = found.filter(id__lt=paging.before_id)
    return list(found[: max(1, min(paging.limit, 200))])


@router.post(
    "/{ws}/messages/{message_id}/sentiment",
    response={200: CorrectedOut, **ERRORS},
)
@requires(Perm.INBOX_SENTIMENT)
def correct_message_sentiment(request: ApiRequest, ws: str, message_id: int, payload: SentimentIn):
    """A person's sentiment for a received message (negative, neutral or positive); the
    conversation follows, and Kalrav keeps the correction to learn from."""
    who = caller(request)
    member = request.member
    message = correct_sentiment(member, who.actor, message_id, payload.sentiment)
    conversation = message.conversation
    conversation.refresh_from_db()
    return {
        "id": message.pk,
        "sentiment": message.sentiment,
        "sentiment_corrected_by_id": message.sentiment_corrected_by_id,
        "sentiment_corrected_at": message.sentiment_corrected_at,
        "conversation_sentiment": conversation.sentiment,
        "conversation_priority": conversation.priority,
    }


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
)
@requires(Perm.INBOX_VIEW)
def moderation_state(request: ApiRequest, ws: str, message_id: int):
    return _state(request.member, message_id)


def _operation(action: Moderation, summary: str):
    needed = moderation.NEEDS[action]

    def operation(request: ApiRequest, ws: str, message_id: int):
        member = request.member
        moderation.request(member, request.auth.actor, message_id, action)
        return Status(202, _state(member, message_id))

    operation.__name__ = f"message_{action.value}"
    operation.__doc__ = summary
    router.post(
        f"/{{ws}}/messages/{{message_id}}/{action.value}",
        response={202: ModerationOut, **ERRORS},
    )(requires(needed)(operation))


_operation(Moderation.LIKE, "Like the message on its network.")
_operation(Moderation.UNLIKE, "Take back Kalrav's like.")
_operation(Moderation.HIDE, "Hide a reply in a thread the channel started (Bluesky).")
_operation(Moderation.UNHIDE, "Show a hidden reply again.")
_operation(
    Moderation.DELETE,
    "Delete the message on its network, for good. Kalrav keeps its copy, marked deleted.",
)
