"""Replies from the inbox and the saved replies they start from.

A reply is checked against the network's rules, stored as an outgoing message and sent by a
worker through the channel's connector; the first reply that reaches the network sets the
first-response time (an automatic answer does not).
"""

from __future__ import annotations

import string

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from huey.contrib.djhuey import db_task

from kalrav.channels import services as channels
from kalrav.connectors.base import (
    Author,
    InboxReader,
    IncomingItem,
    ItemKind,
    OutgoingPost,
    opened,
)
from kalrav.connectors.errors import ConnectorError
from kalrav.connectors.rules import validate
from kalrav.inbox.models import (
    Conversation,
    ConversationState,
    Delivery,
    Direction,
    Message,
    SavedReply,
)
from kalrav.inbox.sla import targets
from kalrav.inbox.work import presence
from kalrav.inbox.work.conversations import locked_conversation
from kalrav.workspaces import audit
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import Member
from kalrav.workspaces.permissions import Perm


class _Variables(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def fill_saved_reply(reply: SavedReply, conversation: Conversation, ticket: str = "") -> str:
    """Put the person's name and the ticket into a saved reply; unknown {names} stay as written."""
    name = conversation.author_name or conversation.author_handle
    values = _Variables(
        first_name=name.split()[0] if name else "",
        name=name,
        handle=conversation.author_handle,
        ticket=ticket,
    )
    return string.Formatter().vformat(reply.text, (), values)


@transaction.atomic
def reply(
    member: Member,
    actor: Actor,
    conversation_id: int,
    text: str,
    *,
    seen_out_id: int | None = None,
    confirm: bool = False,
) -> Message:
    """Queue a reply; it is checked against the network's rules before it is queued. With
    `seen_out_id` (our newest reply the sender had seen), a reply someone else sent since is
    refused with `presence.ReplyCollision` unless `confirm`."""
    member.require(Perm.INBOX_REPLY)
    conversation = locked_conversation(member, conversation_id)
    sender = actor.user.pk if actor.user is not None else None
    presence.check_reply(conversation, sender, seen_out_id, confirm)
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("Write the reply first.")})
    problems = validate(text, channels.network_info(conversation.channel.network).rules)
    if problems:
        raise ValidationError({"text": [p.message for p in problems]})
    target = conversation.messages.filter(direction=Direction.IN).order_by("-created_at").first()
    message = Message.objects.create(
        conversation=conversation,
        channel=conversation.channel,
        kind=ItemKind.REPLY.value,
        direction=Direction.OUT,
        delivery=Delivery.SENDING,
        text=text,
        parent_remote_id=target.remote_id if target else "",
        created_at=timezone.now(),
        via="kalrav",
        sent_by=actor.user,
    )
    if conversation.state in (ConversationState.NEW, ConversationState.RESOLVED):
        conversation.state = ConversationState.OPEN
    conversation.last_message_at = timezone.now()
    conversation.save()
    audit.record(
        member.workspace, actor, "conversation.reply", conversation, {"reply": [None, text[:200]]}
    )
    transaction.on_commit(lambda: send_reply_task(message.pk))
    return message


def _as_item(message: Message) -> IncomingItem:
    return IncomingItem(
        kind=ItemKind(message.kind)
        if message.kind in ItemKind.__members__.values()
        else ItemKind.COMMENT,
        remote_id=message.remote_id,
        author=Author(
            remote_id=message.author_remote_id,
            handle=message.author_handle,
            display_name=message.author_name,
        ),
        text=message.text,
        created_at=message.created_at,
        url=message.url,
        parent_id=message.parent_remote_id,
        root_id=message.conversation.root_remote_id,
    )


def send_reply(message_id: int, *, automatic: bool = False) -> None:
    """Runs in a task: send one queued reply through the connector, exactly once."""
    message = Message.objects.select_related("conversation", "channel").get(pk=message_id)
    if message.delivery != Delivery.SENDING:
        return
    target = Message.objects.filter(
        conversation=message.conversation, remote_id=message.parent_remote_id
    ).first()
    try:
        with opened(channels.connector_for(message.channel)) as connector:
            if not isinstance(connector, InboxReader) or target is None:
                Message.objects.filter(pk=message_id).update(
                    delivery=Delivery.FAILED,
                    error=_("This channel cannot send replies from Kalrav yet."),
                )
                return
            ref = connector.reply(
                _as_item(target),
                OutgoingPost(text=message.text),
                idempotency_key=f"kalrav-reply-{message.pk}",
            )
    except ConnectorError as error:
        Message.objects.filter(pk=message_id).update(
            delivery=Delivery.FAILED, error=str(error)[:2000]
        )
        channels.record_failure(message.channel_id, error)
        return
    now = timezone.now()
    with transaction.atomic():
        Message.objects.filter(pk=message_id).update(
            delivery=Delivery.SENT, remote_id=ref.remote_id, url=ref.url, error=""
        )
        if not automatic:  # an automatic answer is not a person answering
            targets.record_first_response(message.conversation_id, now)


def queue_automatic_reply(conversation: Conversation, text: str) -> Message | None:
    """An answer a routing rule sends on the team's behalf; it does not count as a first response."""
    target = conversation.messages.filter(direction=Direction.IN).order_by("-created_at").first()
    if target is None:
        return None
    message = Message.objects.create(
        conversation=conversation,
        channel=conversation.channel,
        kind=ItemKind.REPLY.value,
        direction=Direction.OUT,
        delivery=Delivery.SENDING,
        text=text,
        parent_remote_id=target.remote_id,
        created_at=timezone.now(),
        via="kalrav",
    )
    transaction.on_commit(lambda: send_reply_task(message.pk, automatic=True))
    return message


@transaction.atomic
def save_reply_template(member: Member, actor: Actor, *, title: str, text: str) -> SavedReply:
    member.require(Perm.INBOX_REPLY)
    saved = SavedReply(workspace=member.workspace, title=title.strip(), text=text.strip())
    saved.full_clean()
    saved.save()
    audit.record(member.workspace, actor, "savedreply.save", saved, {"title": [None, saved.title]})
    return saved


@transaction.atomic
def delete_reply_template(member: Member, actor: Actor, reply_id: int) -> None:
    member.require(Perm.INBOX_REPLY)
    saved = SavedReply.objects.get(pk=reply_id, workspace_id=member.workspace_id)
    audit.record(
        member.workspace, actor, "savedreply.delete", saved, {"title": [saved.title, None]}
    )
    saved.delete()


@db_task(retries=3, retry_delay=20)
def send_reply_task(message_id: int, automatic: bool = False) -> None:
    send_reply(message_id, automatic=automatic)
