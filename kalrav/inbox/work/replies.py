"""Replies from the inbox and the saved replies they start from.

A reply is checked against the network's rules, stored as an outgoing message and sent by a
worker through the channel's connector; the first reply that reaches the network sets the
first-response time (an automatic answer does not).
"""

from __future__ import annotations

import logging
import secrets
import string
from dataclasses import replace
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from kalrav.channels import services as channels
from kalrav.channels.models import ChannelState
from kalrav.connectors.base import (
    Author,
    IdempotentPublisher,
    InboxReader,
    IncomingItem,
    ItemKind,
    NetworkRules,
    OutgoingPost,
    PublishedRef,
    Reconciler,
    opened,
)
from kalrav.connectors.errors import ConnectorError, Transient
from kalrav.connectors.rules import validate
from kalrav.inbox.models import (
    Conversation,
    ConversationState,
    Delivery,
    Direction,
    Message,
    SavedReply,
    SendAttempt,
)
from kalrav.inbox.sla import targets
from kalrav.inbox.work import presence, sending
from kalrav.inbox.work.conversations import locked_conversation
from kalrav.nlp.services import language_of
from kalrav.workspaces import audit
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import Member
from kalrav.workspaces.permissions import Perm

logger = logging.getLogger(__name__)


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
    if conversation.answer_on_source:
        raise ValidationError({"text": answer_on_source_reason()})
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("Write the reply first.")})
    # A paused channel sends nothing, and one that needs reconnecting would only be refused:
    # say so now, with the text kept in the form, rather than queue a reply that cannot go.
    if conversation.channel.state == ChannelState.PAUSED:
        raise ValidationError(
            {"text": _("This channel is paused: resume it to answer here. Your text is kept.")}
        )
    if conversation.channel.state == ChannelState.NEEDS_RECONNECT:
        raise ValidationError(
            {"text": _("This channel needs reconnecting before it can answer. Your text is kept.")}
        )
    # A reply is words in a thread, not a post: a network that takes no post without media
    # (Instagram, a Facebook reel) still takes a text reply.
    rules = replace(channels.network_info(conversation.channel.network).rules, media_required=False)
    problems = validate(text, rules)
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
        send_key=new_send_key(),
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


def answer_on_source_reason() -> str:
    return _(
        "This mention was found on a site Kalrav does not post to: answer it on the source "
        "site, then mark it answered here."
    )


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


def new_send_key() -> str:
    """A reply's idempotency key: random, so that no two installations (nor one installation
    before and after a restore) ever send two replies under one key."""
    return f"kalrav-reply-{secrets.token_hex(16)}"


def send_reply(message_id: int, *, automatic: bool = False) -> None:
    """Runs in a task: send one queued reply through the connector, exactly once (see
    sending.py: a claim, an attempt written before the call, a safe resend or none)."""
    if not sending.claim(message_id, Q(delivery=Delivery.SENDING)):
        return  # sent, failed, or another worker is sending it now
    try:
        _send_claimed(message_id, automatic)
    finally:
        sending.release(message_id)


def _send_claimed(message_id: int, automatic: bool) -> None:
    message = Message.objects.select_related("conversation", "channel").get(pk=message_id)
    if not message.send_key:  # queued before keys were made with the reply
        message.send_key = new_send_key()
        Message.objects.filter(pk=message_id).update(send_key=message.send_key)
    if message.conversation.answer_on_source:
        # Never through the channel: it only holds a mention from elsewhere.
        _fail(message, answer_on_source_reason())
        return
    target = Message.objects.filter(
        conversation=message.conversation, remote_id=message.parent_remote_id
    ).first()
    with opened(channels.connector_for(message.channel)) as connector:
        if not isinstance(connector, InboxReader) or target is None:
            _fail(message, _("This channel cannot send replies from Kalrav yet."))
            return
        sending.mark_dead_attempts(message_id, REPLY)
        attempts = sending.history(message_id, REPLY, message.send_key)
        post = OutgoingPost(text=message.text, language=_language(message, connector))
        if sending.unsettled(attempts):
            found = _reconcile(message, connector, post, attempts, target, automatic)
            if found is None:
                return
            if found is not _RESEND:
                _record_sent(message, found, automatic)
                return
        attempt = sending.start(message_id, REPLY, message.send_key)
        try:
            ref = connector.reply(_as_item(target), post, idempotency_key=message.send_key)
        except ConnectorError as error:
            channels.record_failure(message.channel_id, error)
            _record_error(message, attempt, error, connector, len(attempts) + 1, automatic)
            return
        except Exception as error:
            # A fault of Kalrav's own may come after the network took the reply: a Transient
            # one, so the next try is made safe first.
            logger.exception("Reply %s failed", message_id)
            failure = Transient(str(error) or type(error).__name__)
            _record_error(message, attempt, failure, connector, len(attempts) + 1, automatic)
            return
    sending.finish(attempt, sending.Outcome.SENT)
    _record_sent(message, ref, automatic)


REPLY = "reply"
_RESEND = PublishedRef(remote_id="")  # marker: the reply is surely not on the network


def _language(message: Message, connector: object) -> str:
    """The reply's language, for networks that label posts with it; kept on the message too."""
    rules = getattr(connector, "rules", None)
    if message.language or not isinstance(rules, NetworkRules) or not rules.languages:
        return message.language
    language = language_of(message.text)
    if language:
        Message.objects.filter(pk=message.pk).update(language=language)
    return language


def _resend_is_safe(connector: object, attempts: list, now: datetime) -> bool:
    """A network that dedupes on the key is sent the same key again while it remembers it."""
    if not isinstance(connector, IdempotentPublisher):
        return False
    window = connector.idempotency_key_window()
    first = sending.first_try(attempts)
    return window is None or first is None or now - first < window


def _reconcile(
    message: Message,
    connector: object,
    post: OutgoingPost,
    attempts: list,
    target: Message,
    automatic: bool,
) -> PublishedRef | None:
    """Before a try after an unknown outcome: `_RESEND` when sending again cannot make a second
    reply, the reply's reference when it is found on the network, None when the message was
    settled here (failed visibly, or left for a later try)."""
    now = timezone.now()
    if _resend_is_safe(connector, attempts, now):
        return _RESEND
    if isinstance(connector, Reconciler):
        attempt = sending.start(message.pk, REPLY, message.send_key)
        meant = replace(post, reply_to=PublishedRef(remote_id=target.remote_id, url=target.url))
        try:
            found = connector.reconcile(
                meant,
                idempotency_key=message.send_key,
                not_before=sending.first_try(attempts) or now,
            )
        except ConnectorError as error:
            # Could not look: look again later rather than send blind.
            failure = Transient(str(error))
            _record_error(message, attempt, failure, connector, len(attempts) + 1, automatic)
            return None
        sending.finish(attempt, sending.Outcome.SENT if found else sending.Outcome.UNKNOWN)
        return found or _RESEND
    _fail(
        message,
        _(
            "The network may have received this reply, and Kalrav cannot check. Look at the "
            "conversation on the network before sending it again."
        ),
    )
    return None


def _record_error(
    message: Message,
    attempt: SendAttempt,
    error: ConnectorError,
    connector: object,
    tries: int,
    automatic: bool,
) -> None:
    if not error.retryable:
        sending.finish(attempt, sending.Outcome.REJECTED, error)
        _fail(message, str(error) or type(error).__name__)
        return
    sending.finish(attempt, sending.Outcome.TRANSIENT, error)
    delay = sending.retry_delay(tries)
    safe = isinstance(connector, IdempotentPublisher | Reconciler)
    words = str(error) or type(error).__name__
    if isinstance(error, Transient) and not safe:
        # The reply may have reached the network, and nothing could make a resend safe.
        _fail(
            message,
            _(
                "The network may have received this reply, and Kalrav cannot check. Look at the "
                "conversation on the network before sending it again. The network said: %(error)s"
            )
            % {"error": words},
        )
        return
    if delay is None:
        _fail(message, words)
        return
    wait = max(delay, getattr(error, "retry_after", None) or 0)
    send_reply_task.schedule(args=(message.pk, automatic), delay=wait)


def _fail(message: Message, words: str) -> None:
    Message.objects.filter(pk=message.pk, delivery=Delivery.SENDING).update(
        delivery=Delivery.FAILED, error=words[:2000]
    )


def _record_sent(message: Message, ref: PublishedRef, automatic: bool) -> None:
    now = timezone.now()
    with transaction.atomic():
        Message.objects.filter(pk=message.pk).update(
            delivery=Delivery.SENT, remote_id=ref.remote_id, url=ref.url, error=""
        )
        if not automatic:  # an automatic answer is not a person answering
            targets.record_first_response(message.conversation_id, now)


def queue_automatic_reply(conversation: Conversation, text: str) -> Message | None:
    """An answer a routing rule sends on the team's behalf; it does not count as a first response.
    None when there is nothing to answer, or nothing may be sent (answered on the source site)."""
    if conversation.answer_on_source:
        return None
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
        send_key=new_send_key(),
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


@db_task()
def send_reply_task(message_id: int, automatic: bool = False) -> None:
    send_reply(message_id, automatic=automatic)


@db_periodic_task(crontab(minute="*"))
def resume_stalled_replies() -> None:
    """Replies whose worker died while sending them (still sending, their claim run out) are
    tried again, which reconciles first. Only automatic answers have no sender."""
    stalled = Message.objects.filter(
        direction=Direction.OUT, delivery=Delivery.SENDING, claimed_until__lt=timezone.now()
    ).values_list("pk", "sent_by_id")
    for message_id, sender in stalled[:200]:
        send_reply_task(message_id, automatic=sender is None)
