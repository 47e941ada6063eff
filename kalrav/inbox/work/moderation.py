"""Like, hide or delete a message on its network, where the network allows it.

A request is checked here (role, what the channel's connector allows on that item, nothing else
waiting for the same message), recorded with its audit entry and handed to a task; the task asks
the connector and records the answer on the message: the time it took effect, or the network's
own words when it refused. Only the task talks to the network.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from kalrav.channels import services as channels
from kalrav.channels.models import Channel
from kalrav.connectors.base import (
    Closeable,
    Connector,
    ItemKind,
    ItemRef,
    Moderation,
    Moderator,
    ReplyHider,
)
from kalrav.connectors.errors import AuthExpired, ConnectorError, RateLimited, Transient
from kalrav.connectors.registry import UnknownNetwork
from kalrav.inbox.models import Direction, Message, SendAttempt
from kalrav.inbox.work import sending
from kalrav.workspaces import audit
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import Member
from kalrav.workspaces.permissions import Perm

logger = logging.getLogger(__name__)

# Likes and hiding can be taken back; deleting cannot, so it asks for more (see permissions.py).
NEEDS = {
    Moderation.LIKE: Perm.INBOX_REPLY,
    Moderation.UNLIKE: Perm.INBOX_REPLY,
    Moderation.HIDE: Perm.INBOX_REPLY,
    Moderation.UNHIDE: Perm.INBOX_REPLY,
    Moderation.DELETE: Perm.INBOX_MODERATE,
}
# Each action leaves the message in a state; asking for the state it is already in does nothing.
DONE = {
    Moderation.LIKE: lambda m: m.liked_at is not None,
    Moderation.UNLIKE: lambda m: m.liked_at is None,
    Moderation.HIDE: lambda m: m.hidden_at is not None,
    Moderation.UNHIDE: lambda m: m.hidden_at is None,
    Moderation.DELETE: lambda m: m.deleted_at is not None,
}


def item_ref(message: Message, channel: Channel) -> ItemRef:
    ours = message.direction == Direction.OUT or (
        bool(channel.remote_id) and message.author_remote_id == channel.remote_id
    )
    kinds = set(ItemKind.__members__.values())
    return ItemRef(
        remote_id=message.remote_id,
        kind=ItemKind(message.kind) if message.kind in kinds else ItemKind.COMMENT,
        root_id=message.conversation.root_remote_id,
        parent_id=message.parent_remote_id,
        author_id=message.author_remote_id,
        ours=ours,
        created_at=message.created_at,
        like_id=message.like_remote_id,
    )


def _connector(channel: Channel) -> Connector | None:
    """The channel's connector, or None when it cannot be built (a network Kalrav no longer
    knows, credentials that no longer open): such a channel offers no actions."""
    try:
        return channels.connector_for(channel)
    except (UnknownNetwork, ConnectorError, ValueError):
        return None


def _allowed(
    connector: Connector | None, message: Message, channel: Channel
) -> frozenset[Moderation]:
    if (
        not isinstance(connector, Moderator)
        or not message.remote_id
        or message.deleted_at
        or message.conversation.answer_on_source  # found elsewhere: not on this network
    ):
        return frozenset()
    actions = connector.moderation_actions(item_ref(message, channel))
    if not isinstance(connector, ReplyHider):
        actions -= {Moderation.HIDE, Moderation.UNHIDE}
    return frozenset(actions)


def available(messages: list[Message], channel: Channel) -> dict[int, frozenset[Moderation]]:
    """What the network allows on each of a conversation's messages, asking the connector
    (no request goes out: connectors answer from what they know)."""
    connector = _connector(channel)
    try:
        return {message.pk: _allowed(connector, message, channel) for message in messages}
    finally:
        if isinstance(connector, Closeable):
            connector.close()


def next_actions(message: Message, allowed: frozenset[Moderation]) -> list[Moderation]:
    """The buttons to show, in a steady order: like or unlike, hide or unhide, delete."""
    shown = []
    if Moderation.LIKE in allowed or Moderation.UNLIKE in allowed:
        liked = message.liked_at is not None
        wanted = Moderation.UNLIKE if liked else Moderation.LIKE
        if wanted in allowed:
            shown.append(wanted)
    if Moderation.HIDE in allowed or Moderation.UNHIDE in allowed:
        wanted = Moderation.UNHIDE if message.hidden_at else Moderation.HIDE
        if wanted in allowed:
            shown.append(wanted)
    if Moderation.DELETE in allowed:
        shown.append(Moderation.DELETE)
    return shown


def _locked(member: Member, message_id: int) -> Message:
    return (
        Message.objects.select_for_update(of=("self",))
        .select_related("conversation", "channel")
        .get(pk=message_id, conversation__workspace_id=member.workspace_id)
    )


@transaction.atomic
def request(member: Member, actor: Actor, message_id: int, action: Moderation) -> Message:
    """Ask the network to like, unlike, hide, unhide or delete a message; the answer arrives on
    the message (`moderation_pending` is set until then)."""
    if not member.can(NEEDS[action]):
        raise PermissionDenied(_("Your role does not allow this."))
    message = _locked(member, message_id)
    if DONE[action](message):
        return message
    if message.moderation_pending:
        raise ValidationError(
            _("Kalrav is still waiting for the network to answer the last action on this message.")
        )
    if action not in available([message], message.channel)[message.pk]:
        raise ValidationError(
            _("%(network)s does not allow this on this message.")
            % {"network": channels.network_info(message.channel.network).label}
        )
    message.moderation_pending, message.moderation_error = action.value, ""
    message.save(update_fields=["moderation_pending", "moderation_error"])
    audit.record(
        member.workspace,
        actor,
        f"message.{action.value}",
        message,
        {"message": [None, message.text[:200]]},
    )
    # One key per request, reused by the task's retries: a retried like names the same like,
    # while liking again after an unlike is a new one.
    key = f"kalrav-{action.value}-{message.pk}-{uuid.uuid4().hex}"
    transaction.on_commit(lambda: moderate_message(message.pk, action.value, key))
    return message


def like_message(member: Member, actor: Actor, message_id: int) -> Message:
    return request(member, actor, message_id, Moderation.LIKE)


def unlike_message(member: Member, actor: Actor, message_id: int) -> Message:
    return request(member, actor, message_id, Moderation.UNLIKE)


def hide_message(member: Member, actor: Actor, message_id: int) -> Message:
    return request(member, actor, message_id, Moderation.HIDE)


def unhide_message(member: Member, actor: Actor, message_id: int) -> Message:
    return request(member, actor, message_id, Moderation.UNHIDE)


def delete_message_on_network(member: Member, actor: Actor, message_id: int) -> Message:
    return request(member, actor, message_id, Moderation.DELETE)


def _call(connector: Any, action: Moderation, item: ItemRef, key: str) -> str:
    if action == Moderation.LIKE:
        return str(connector.like(item, idempotency_key=key))
    if action == Moderation.UNLIKE:
        connector.unlike(item, idempotency_key=key)
    elif action == Moderation.HIDE:
        connector.hide(item, idempotency_key=key)
    elif action == Moderation.UNHIDE:
        connector.unhide(item, idempotency_key=key)
    else:
        connector.delete_item(item, idempotency_key=key)
    return ""


def _outcome(action: Moderation, like_id: str) -> dict[str, Any]:
    now = timezone.now()
    outcomes: dict[Moderation, dict[str, Any]] = {
        Moderation.LIKE: {"liked_at": now, "like_remote_id": like_id},
        Moderation.UNLIKE: {"liked_at": None, "like_remote_id": ""},
        Moderation.HIDE: {"hidden_at": now},
        Moderation.UNHIDE: {"hidden_at": None},
        Moderation.DELETE: {"deleted_at": now},
    }
    return outcomes[action]


def apply(message_id: int, action_name: str, key: str) -> None:
    """Runs in a task: ask the network, then record its answer on the message. Sent once in
    the way of sending.py: a claim, then an attempt written before the call.

    After an unknown outcome (a dead worker, a Transient error, a fault of Kalrav's own) the
    same request is sent again with the same key, and that is its reconciliation: every action
    leaves the item in a state rather than adding to it (hiding a hidden reply, deleting a gone
    post or unliking an unliked one changes nothing, and a like is one per account and post, or
    on Bluesky a record named by the key), so repeating it cannot do it twice."""
    action = Moderation(action_name)
    if not sending.claim(message_id, Q(moderation_pending=action.value)):
        return  # answered already (a duplicate task), gone, or another worker is on it
    try:
        _apply_claimed(message_id, action, key)
    finally:
        sending.release(message_id)


def _apply_claimed(message_id: int, action: Moderation, key: str) -> None:
    message = Message.objects.select_related("conversation", "channel").get(pk=message_id)
    connector = _connector(message.channel)
    supported = ReplyHider if action in (Moderation.HIDE, Moderation.UNHIDE) else Moderator
    if not isinstance(connector, supported):
        _failed(message_id, _("This channel cannot do this from Kalrav."))
        return
    sending.mark_dead_attempts(message_id, action.value)
    tries = len(sending.history(message_id, action.value, key)) + 1
    attempt = sending.start(message_id, action.value, key)
    try:
        like_id = _call(connector, action, item_ref(message, message.channel), key)
    except ConnectorError as error:
        _record_error(message, action, key, attempt, error, tries)
        return
    except Exception as error:
        # A fault of Kalrav's own may come after the network acted: the same key again is safe.
        logger.exception("Moderation %s of message %s failed", action.value, message_id)
        failure = Transient(str(error) or type(error).__name__)
        _record_error(message, action, key, attempt, failure, tries)
        return
    finally:
        if isinstance(connector, Closeable):
            connector.close()
    sending.finish(attempt, sending.Outcome.SENT)
    Message.objects.filter(pk=message_id, moderation_pending=action.value).update(
        moderation_pending="", moderation_error="", **_outcome(action, like_id)
    )


def _record_error(
    message: Message,
    action: Moderation,
    key: str,
    attempt: SendAttempt,
    error: ConnectorError,
    tries: int,
) -> None:
    delay = sending.retry_delay(tries) if error.retryable else None
    sending.finish(
        attempt, sending.Outcome.TRANSIENT if error.retryable else sending.Outcome.REJECTED, error
    )
    # A refusal about this one message leaves the channel as it is; credentials the network no
    # longer accepts, or a rate limit, concern every use of the channel.
    if isinstance(error, AuthExpired | RateLimited):
        channels.record_failure(message.channel_id, error)
    if delay is None:
        _failed(message.pk, str(error) or _("The network refused without saying why."))
        return
    wait = max(delay, getattr(error, "retry_after", None) or 0)
    moderate_message.schedule(args=(message.pk, action.value, key), delay=wait)


def _failed(message_id: int, words: str) -> None:
    Message.objects.filter(pk=message_id).update(
        moderation_pending="", moderation_error=words[:2000]
    )


@db_task()
def moderate_message(message_id: int, action: str, key: str) -> None:
    """Like, hide or delete a message on its network, in a worker."""
    apply(message_id, action, key)


@db_periodic_task(crontab(minute="*"))
def resume_stalled_actions() -> None:
    """Actions whose worker died while sending them (still pending, their claim run out) are
    tried again with the key of their last try; with no try recorded, nothing was sent."""
    stalled = Message.objects.filter(claimed_until__lt=timezone.now()).exclude(
        moderation_pending=""
    )
    for message_id, action in stalled.values_list("pk", "moderation_pending")[:200]:
        last = (
            SendAttempt.objects.filter(message_id=message_id, action=action)
            .order_by("-started_at", "-id")
            .values_list("key", flat=True)
            .first()
        )
        moderate_message(
            message_id, action, last or f"kalrav-{action}-{message_id}-{uuid.uuid4().hex}"
        )
