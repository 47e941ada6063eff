"""Storing what comes in: each item once (by its network id), threaded into its conversation,
with language and sentiment. The same item from a stream, a webhook and a poll stays one message."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from django.db import IntegrityError, transaction
from django.utils import timezone

from kalrav.channels.models import Channel
from kalrav.connectors.base import IncomingItem, ItemKind
from kalrav.inbox import events
from kalrav.inbox.intake.routing import route
from kalrav.inbox.models import Conversation, ConversationState, InboxSettings, Message, Priority
from kalrav.inbox.sla import targets
from kalrav.nlp.services import classify_batch, inbox_uses_quality


def _thread_key(item: IncomingItem) -> str:
    # Direct messages thread by person; everything else by the network's own thread root.
    if item.kind == ItemKind.DIRECT_MESSAGE:
        return f"dm:{item.author.remote_id}"
    return item.root_id or item.parent_id or item.remote_id


def ingest(channel: Channel, items: Sequence[IncomingItem], *, via: str) -> list[Message]:
    """Store the items not seen before; return the new messages."""
    known = set(
        Message.objects.filter(
            channel=channel, remote_id__in=[i.remote_id for i in items]
        ).values_list("remote_id", flat=True)
    )
    fresh = [item for item in items if item.remote_id not in known]
    if not fresh:
        return []
    analysis = classify_batch([item.text for item in fresh], quality=inbox_uses_quality())
    settings = InboxSettings.for_workspace(channel.workspace_id)
    created: list[Message] = []
    for item, found in zip(fresh, analysis, strict=True):
        try:
            with transaction.atomic():
                created.append(_store(channel, item, found, via, settings))
        except IntegrityError:
            continue  # another path (stream vs poll) stored it a moment ago
    if created:
        transaction.on_commit(partial(events.message_received, created))  # outgoing webhooks
    return created


def _store(
    channel: Channel, item: IncomingItem, found, via: str, settings: InboxSettings
) -> Message:
    key = _thread_key(item)
    received = timezone.now()
    conversation, made = Conversation.objects.select_for_update().get_or_create(
        channel=channel,
        root_remote_id=key,
        defaults={
            "workspace_id": channel.workspace_id,
            "kind": item.kind.value,
            "author_remote_id": item.author.remote_id,
            "author_handle": item.author.handle,
            "author_name": item.author.display_name,
            "author_url": item.author.url,
            "excerpt": item.text[:280],
            "received_at": received,
            "language": found.language,
            "sentiment": found.sentiment,
            "sentiment_score": found.sentiment_score,
            # A complaint left waiting costs the most: negative messages start near the top.
            "priority": Priority.HIGH if found.sentiment == "negative" else Priority.NORMAL,
        },
    )
    message = Message.objects.create(
        conversation=conversation,
        channel=channel,
        remote_id=item.remote_id,
        kind=item.kind.value,
        author_remote_id=item.author.remote_id,
        author_handle=item.author.handle,
        author_name=item.author.display_name,
        text=item.text,
        url=item.url,
        parent_remote_id=item.parent_id,
        created_at=item.created_at,
        via=via,
        language=found.language,
        language_confidence=found.language_confidence,
        sentiment=found.sentiment,
        sentiment_score=found.sentiment_score,
    )
    if made:
        # Routing first: the dues follow the team it chooses, computed once, from arrival.
        route(conversation, message, settings)
        targets.apply_dues(conversation, settings)
        conversation.save()
    else:
        conversation.last_message_at = max(conversation.last_message_at, timezone.now())
        conversation.unread = True
        conversation.excerpt = item.text[:280]
        conversation.sentiment, conversation.sentiment_score = (
            found.sentiment,
            found.sentiment_score,
        )
        if conversation.state in (ConversationState.RESOLVED, ConversationState.PENDING):
            # The person wrote again: the conversation needs someone's attention once more.
            conversation.state = ConversationState.OPEN
            conversation.resolved_at = None
        conversation.save()
    return message
