"""The inbox's outgoing webhook events: what each carries, and when it is sent.

Payloads hold what a receiver needs to act without calling back (the conversation, the message,
the link to it in Kalrav) and nothing secret: members appear by id and name, never by email.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from kalrav.hooks import services as hooks
from kalrav.hooks.models import Endpoint, Event
from kalrav.inbox.models import Conversation, Message


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def conversation_data(conversation: Conversation) -> dict:
    assignee, team = conversation.assignee, conversation.team
    return {
        "id": conversation.pk,
        "url": conversation.link(),
        "channel": {
            "id": conversation.channel_id,
            "name": conversation.channel.name,
            "network": conversation.channel.network,
        },
        "kind": conversation.kind,
        "state": conversation.state,
        "priority": conversation.priority,
        "author": {
            "handle": conversation.author_handle,
            "name": conversation.author_name,
            "url": conversation.author_url,
        },
        "excerpt": conversation.excerpt,
        "assignee": {"id": assignee.pk, "name": assignee.display_name} if assignee else None,
        "team": {"id": team.pk, "name": team.name} if team else None,
        "tags": conversation.tags,
        "language": conversation.language,
        "sentiment": conversation.sentiment,
        "received_at": _when(conversation.received_at),
        "first_response_due": _when(conversation.first_response_due),
        "first_response_at": _when(conversation.first_response_at),
        "resolution_due": _when(conversation.resolution_due),
        "resolved_at": _when(conversation.resolved_at),
    }


def message_data(message: Message) -> dict:
    return {
        "id": message.pk,
        "remote_id": message.remote_id,
        "kind": message.kind,
        "direction": message.direction,
        "author": {"handle": message.author_handle, "name": message.author_name},
        "text": message.text,
        "url": message.url,
        "created_at": _when(message.created_at),
        "language": message.language,
        "sentiment": message.sentiment,
    }


def _listened(workspace_id: int, event: str) -> bool:
    return any(
        e.wants(event) for e in Endpoint.objects.filter(workspace_id=workspace_id, enabled=True)
    )


def message_received(messages: Sequence[Message]) -> None:
    """After ingestion committed: one event per new message, when any endpoint wants them."""
    if not messages or not _listened(messages[0].channel.workspace_id, Event.MESSAGE_RECEIVED):
        return
    found = Message.objects.filter(pk__in=[m.pk for m in messages]).select_related(
        "conversation__channel", "conversation__assignee", "conversation__team"
    )
    for message in found:
        hooks.emit(
            message.conversation.workspace_id,
            Event.MESSAGE_RECEIVED,
            {
                "message": message_data(message),
                "conversation": conversation_data(message.conversation),
            },
        )


def conversation_assigned(conversation: Conversation) -> None:
    hooks.emit(
        conversation.workspace_id,
        Event.CONVERSATION_ASSIGNED,
        {"conversation": conversation_data(conversation)},
    )


def conversation_resolved(conversation: Conversation) -> None:
    hooks.emit(
        conversation.workspace_id,
        Event.CONVERSATION_RESOLVED,
        {"conversation": conversation_data(conversation)},
    )


def sla_breached(conversation: Conversation, target: str, due: datetime, at: datetime) -> None:
    hooks.emit(
        conversation.workspace_id,
        Event.SLA_BREACHED,
        {
            "target": target,
            "due_at": _when(due),
            "breached_at": _when(at),
            "conversation": conversation_data(conversation),
        },
    )
