"""Storing what comes in: each item once (by its network id), threaded into its conversation,
with language and sentiment. The same item from a stream, a webhook and a poll stays one message.

A message is stored and shown with the fast sentiment (a fraction of a millisecond); when the
quality path is on, a task re-reads it with the E5 model (tens to hundreds of milliseconds a
text, more under load) and corrects the sentiment a moment later. Waiting for the quality path
before storing made a mention take 2 to 3 s to appear on a busy machine. Routing and the first
priority use the fast reading; a message the quality path finds negative is raised to high
priority then, as ingest would have done.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from django.db import IntegrityError, transaction
from django.utils import timezone
from huey.contrib.djhuey import db_task

from kalrav.channels.models import Channel
from kalrav.connectors.base import IncomingItem, ItemKind
from kalrav.inbox import events
from kalrav.inbox.intake.routing import route
from kalrav.inbox.models import (
    Conversation,
    ConversationState,
    Direction,
    InboxSettings,
    Message,
    Priority,
)
from kalrav.inbox.sla import targets
from kalrav.nlp.services import classify_batch, inbox_uses_quality


def _thread_key(item: IncomingItem) -> str:
    # Direct messages thread by person; everything else by the network's own thread root.
    if item.kind == ItemKind.DIRECT_MESSAGE:
        return f"dm:{item.author.remote_id}"
    return item.root_id or item.parent_id or item.remote_id


def ingest(
    channel: Channel,
    items: Sequence[IncomingItem],
    *,
    via: str,
    answer_on_source: bool = False,
) -> list[Message]:
    """Store the items not seen before; return the new messages. With `answer_on_source` the
    new conversations are answered where the items were published, never through the channel
    (mentions listening found on the web)."""
    known = set(
        Message.objects.filter(
            channel=channel, remote_id__in=[i.remote_id for i in items]
        ).values_list("remote_id", flat=True)
    )
    fresh = [item for item in items if item.remote_id not in known]
    if not fresh:
        return []
    analysis = classify_batch([item.text for item in fresh])
    settings = InboxSettings.for_workspace(channel.workspace_id)
    created: list[Message] = []
    for item, found in zip(fresh, analysis, strict=True):
        try:
            with transaction.atomic():
                created.append(_store(channel, item, found, via, settings, answer_on_source))
        except IntegrityError:
            continue  # another path (stream vs poll) stored it a moment ago
    if created:
        transaction.on_commit(partial(events.message_received, created))  # outgoing webhooks
        if inbox_uses_quality():
            ids = [message.pk for message in created]
            transaction.on_commit(partial(refine_sentiment_task, ids))
    return created


def refine_sentiment(message_ids: list[int]) -> int:
    """The quality path's reading of stored messages; returns how many changed. A reading a
    person corrected stays theirs."""
    messages = list(
        Message.objects.filter(pk__in=message_ids, sentiment_corrected_at=None).order_by("pk")
    )
    if not messages:
        return 0
    readings = classify_batch([m.text for m in messages], quality=True)
    changed = 0
    for message, found in zip(messages, readings, strict=True):
        if (message.sentiment, message.sentiment_score) == (found.sentiment, found.sentiment_score):
            continue
        with transaction.atomic():
            updated = Message.objects.filter(pk=message.pk, sentiment_corrected_at=None).update(
                sentiment=found.sentiment, sentiment_score=found.sentiment_score
            )
            if not updated:
                continue
            changed += 1
            conversation = Conversation.objects.select_for_update().get(pk=message.conversation_id)
            latest = (
                conversation.messages.filter(direction=Direction.IN)
                .order_by("-pk")
                .values_list("pk", flat=True)
                .first()
            )
            if latest != message.pk:
                continue  # a later message speaks for the conversation now
            conversation.sentiment = found.sentiment
            conversation.sentiment_score = found.sentiment_score
            if found.sentiment == "negative" and conversation.priority < Priority.HIGH:
                conversation.priority = Priority.HIGH
            conversation.save(update_fields=["sentiment", "sentiment_score", "priority"])
    return changed


@db_task(retries=2, retry_delay=5)
def refine_sentiment_task(message_ids: list[int]) -> int:
    return refine_sentiment(message_ids)


def _store(
    channel: Channel,
    item: IncomingItem,
    found,
    via: str,
    settings: InboxSettings,
    answer_on_source: bool = False,
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
            # Known before routing, so a rule's automatic reply is never queued for it.
            "answer_on_source": answer_on_source,
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
