from __future__ import annotations

from datetime import datetime

from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema, Status

from kalrav.api.auth import ApiRequest, requires
from kalrav.api.schemas import ERRORS
from kalrav.inbox.models import Conversation, ConversationState
from kalrav.inbox.work import conversations, replies
from kalrav.workspaces.permissions import Perm

router = Router(tags=["inbox"])


class MessageOut(Schema):
    id: int
    remote_id: str
    kind: str
    direction: str
    delivery: str
    author_handle: str
    author_name: str
    text: str
    url: str
    created_at: datetime
    via: str
    language: str
    sentiment: str
    sentiment_score: float | None
    error: str


class ConversationOut(Schema):
    id: int
    channel_id: int
    kind: str
    author_handle: str
    author_name: str
    excerpt: str
    state: str
    priority: int
    assignee_id: int | None
    team_id: int | None
    tags: list[str]
    language: str
    sentiment: str
    received_at: datetime
    first_response_due: datetime | None
    first_response_at: datetime | None
    resolved_at: datetime | None
    resolution_due: datetime | None
    first_response_breached_at: datetime | None
    resolution_breached_at: datetime | None
    last_message_at: datetime
    unread: bool


class ConversationDetail(ConversationOut):
    messages: list[MessageOut]


class ConversationFilter(Schema):
    state: str | None = None
    assignee_id: int | None = None
    channel_id: int | None = None
    sentiment: str | None = None
    since: datetime | None = None
    limit: int = 50
    before_id: int | None = None


class AssignIn(Schema):
    assignee_id: int | None = None
    team_id: int | None = None


class StateIn(Schema):
    state: str


class TagsIn(Schema):
    tags: list[str]


class TextIn(Schema):
    text: str


class ReplyIn(TextIn):
    # Our newest reply the sender had seen: a colleague's reply sent since is refused (400,
    # field seen_out_id) unless confirm is true. Leave it out to skip the check.
    seen_out_id: int | None = None
    confirm: bool = False


def _conversations(member):
    return Conversation.objects.filter(workspace=member.workspace)


@router.get(
    "/{ws}/conversations",
    response={200: list[ConversationOut], **ERRORS},
)
@requires(Perm.INBOX_VIEW)
def list_conversations(request: ApiRequest, ws: str, filters: Query[ConversationFilter]):
    member = request.member
    found = _conversations(member)
    if filters.state:
        found = found.filter(state=filters.state)
    elif filters.state is None:
        found = found.exclude(state__in=[ConversationState.RESOLVED, ConversationState.SPAM])
    if filters.assignee_id is not None:
        found = found.filter(assignee_id=filters.assignee_id)
    if filters.channel_id is not None:
        found = found.filter(channel_id=filters.channel_id)
    if filters.sentiment:
        found = found.filter(sentiment=filters.sentiment)
    if filters.since:
        found = found.filter(last_message_at__gte=filters.since)
    if filters.before_id:
        found = found.filter(id__lt=filters.before_id)
    return list(found.order_by("-id")[: max(1, min(filters.limit, 200))])


@router.get(
    "/{ws}/conversations/{conversation_id}",
    response={200: ConversationDetail, **ERRORS},
)
@requires(Perm.INBOX_VIEW)
def get_conversation(request: ApiRequest, ws: str, conversation_id: int):
    member = request.member
    found = get_object_or_404(_conversations(member), pk=conversation_id)
    found.messages_list = list(found.messages.all())  # type: ignore[attr-defined]
    return {**ConversationOut.from_orm(found).model_dump(), "messages": found.messages_list}  # type: ignore[attr-defined]


@router.post(
    "/{ws}/conversations/{conversation_id}/assign",
    response={200: ConversationOut, **ERRORS},
)
@requires(Perm.INBOX_REPLY)
def assign(request: ApiRequest, ws: str, conversation_id: int, payload: AssignIn):
    member, actor = request.member, request.auth.actor
    return conversations.assign(
        member, actor, conversation_id, assignee_id=payload.assignee_id, team_id=payload.team_id
    )


@router.post(
    "/{ws}/conversations/{conversation_id}/state",
    response={200: ConversationOut, **ERRORS},
)
@requires(Perm.INBOX_REPLY)
def set_state(request: ApiRequest, ws: str, conversation_id: int, payload: StateIn):
    member, actor = request.member, request.auth.actor
    return conversations.set_state(member, actor, conversation_id, payload.state)


@router.post(
    "/{ws}/conversations/{conversation_id}/tags",
    response={200: ConversationOut, **ERRORS},
)
@requires(Perm.INBOX_REPLY)
def set_tags(request: ApiRequest, ws: str, conversation_id: int, payload: TagsIn):
    member, actor = request.member, request.auth.actor
    return conversations.set_tags(member, actor, conversation_id, payload.tags)


@router.post(
    "/{ws}/conversations/{conversation_id}/replies",
    response={202: MessageOut, **ERRORS},
)
@requires(Perm.INBOX_REPLY)
def reply(request: ApiRequest, ws: str, conversation_id: int, payload: ReplyIn):
    """Queue a reply; `delivery` turns to `sent` (or `failed` with the network's words) once tried."""
    member, actor = request.member, request.auth.actor
    return Status(
        202,
        replies.reply(
            member,
            actor,
            conversation_id,
            payload.text,
            seen_out_id=payload.seen_out_id,
            confirm=payload.confirm,
        ),
    )


@router.post(
    "/{ws}/conversations/{conversation_id}/notes",
    response={201: None, **ERRORS},
)
@requires(Perm.INBOX_VIEW)
def note(request: ApiRequest, ws: str, conversation_id: int, payload: TextIn):
    member, actor = request.member, request.auth.actor
    conversations.add_note(member, actor, conversation_id, payload.text)
    return Status(201, None)
