"""Work on conversations: assign, change state, tag, note, reply; and polling channels.

Each change is one transaction with an audit entry. Replies go out through the channel's
connector in a task; the first reply that reaches the network sets the first-response time.
"""

from __future__ import annotations

import string

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kalrav.channels import services as channels
from kalrav.channels.models import Channel
from kalrav.connectors.base import Author, Cursor, InboxReader, IncomingItem, ItemKind, OutgoingPost
from kalrav.connectors.errors import ConnectorError
from kalrav.inbox import events, mentions, presence, targets
from kalrav.inbox.ingest import ingest
from kalrav.inbox.models import (
    Conversation,
    ConversationState,
    Delivery,
    Direction,
    InboxCursor,
    InboxSettings,
    Message,
    Note,
    RoutingRule,
    SavedReply,
    Team,
)
from kalrav.workspaces import audit
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import Member
from kalrav.workspaces.permissions import Perm

MAX_TAGS = 20


def _require(member: Member, perm: Perm) -> None:
    if not member.can(perm):
        raise PermissionDenied(_("Your role does not allow this."))


def _locked(member: Member, conversation_id: int) -> Conversation:
    return Conversation.objects.select_for_update().get(
        pk=conversation_id, workspace_id=member.workspace_id
    )


@transaction.atomic
def assign(
    member: Member,
    actor: Actor,
    conversation_id: int,
    *,
    assignee_id: int | None,
    team_id: int | None = None,
) -> Conversation:
    _require(member, Perm.INBOX_REPLY)
    conversation = _locked(member, conversation_id)
    if (
        assignee_id is not None
        and not Member.objects.filter(
            workspace_id=member.workspace_id, user_id=assignee_id
        ).exists()
    ):
        raise ValidationError({"assignee": _("Choose a member of this workspace.")})
    if (
        team_id is not None
        and not Team.objects.filter(workspace_id=member.workspace_id, pk=team_id).exists()
    ):
        raise ValidationError({"team": _("Choose a team of this workspace.")})
    before = {"assignee": conversation.assignee_id, "team": conversation.team_id}
    team_changed = team_id != conversation.team_id
    conversation.assignee_id, conversation.team_id = assignee_id, team_id
    if team_changed:
        targets.apply_dues(conversation)  # the new team's targets and calendar
    if conversation.state == ConversationState.NEW:
        conversation.state = ConversationState.OPEN
    conversation.save()
    changes = audit.diff(before, {"assignee": assignee_id, "team": team_id})
    if changes:
        audit.record(member.workspace, actor, "conversation.assign", conversation, changes)
        events.conversation_assigned(conversation)
    return conversation


@transaction.atomic
def set_state(member: Member, actor: Actor, conversation_id: int, state: str) -> Conversation:
    _require(member, Perm.INBOX_REPLY)
    if state not in ConversationState.values:
        raise ValidationError({"state": _("Unknown state.")})
    conversation = _locked(member, conversation_id)
    if conversation.state != state:
        before = conversation.state
        conversation.state = state
        resolved = state == ConversationState.RESOLVED
        targets.mark_resolved(conversation, timezone.now() if resolved else None)
        conversation.save()
        audit.record(
            member.workspace, actor, "conversation.state", conversation, {"state": [before, state]}
        )
        if resolved:
            events.conversation_resolved(conversation)
    return conversation


@transaction.atomic
def set_tags(member: Member, actor: Actor, conversation_id: int, tags: list[str]) -> Conversation:
    _require(member, Perm.INBOX_REPLY)
    cleaned = list(dict.fromkeys(t.strip().lower() for t in tags if t.strip()))
    if len(cleaned) > MAX_TAGS or any(len(t) > 40 for t in cleaned):
        raise ValidationError({"tags": _("At most 20 tags of up to 40 characters.")})
    conversation = _locked(member, conversation_id)
    if conversation.tags != cleaned:
        audit.record(
            member.workspace,
            actor,
            "conversation.tag",
            conversation,
            {"tags": [conversation.tags, cleaned]},
        )
        conversation.tags = cleaned
        conversation.save(update_fields=["tags"])
    return conversation


@transaction.atomic
def add_note(member: Member, actor: Actor, conversation_id: int, text: str) -> Note:
    _require(member, Perm.INBOX_VIEW)
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("Write the note first.")})
    conversation = _locked(member, conversation_id)
    note = Note.objects.create(conversation=conversation, author=actor.user, text=text[:5000])
    audit.record(
        member.workspace, actor, "conversation.note", conversation, {"note": [None, text[:200]]}
    )
    mentions.notify(member, actor, note)
    return note


def mark_read(member: Member, conversation_id: int) -> None:
    Conversation.objects.filter(
        pk=conversation_id, workspace_id=member.workspace_id, unread=True
    ).update(unread=False)


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
    _require(member, Perm.INBOX_REPLY)
    conversation = _locked(member, conversation_id)
    sender = actor.user.pk if actor.user is not None else None
    presence.check_reply(conversation, sender, seen_out_id, confirm)
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("Write the reply first.")})
    cls = channels.connector_class(conversation.channel.network)
    from kalrav.connectors.rules import validate

    problems = validate(text, cls.rules)
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
    from kalrav.inbox.tasks import send_reply

    transaction.on_commit(lambda: send_reply(message.pk))
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
    connector = channels.connector_for(message.channel)
    target = Message.objects.filter(
        conversation=message.conversation, remote_id=message.parent_remote_id
    ).first()
    if not isinstance(connector, InboxReader) or target is None:
        Message.objects.filter(pk=message_id).update(
            delivery=Delivery.FAILED, error=_("This channel cannot send replies from Kalrav yet.")
        )
        return
    try:
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


def poll_channel(channel_id: int) -> int:
    """Fetch what is new on a channel since the saved cursor; returns how many messages are new."""
    channel = Channel.objects.filter(pk=channel_id).first()
    if channel is None or not channel.can_work:
        return 0
    connector = channels.connector_for(channel)
    if not isinstance(connector, InboxReader):
        return 0
    cursor, _created = InboxCursor.objects.get_or_create(channel=channel)
    try:
        page = connector.fetch_inbox(Cursor(cursor.value) if cursor.value else None)
    except ConnectorError as error:
        channels.record_failure(channel.pk, error)
        return 0
    new = ingest(channel, page.items, via="poll")
    InboxCursor.objects.filter(pk=cursor.pk).update(
        value=page.cursor.value if page.cursor else cursor.value, polled_at=timezone.now()
    )
    channels.record_success(channel.pk)
    return len(new)


def first_response_minutes(conversation: Conversation) -> float | None:
    if conversation.first_response_at is None:
        return None
    return (conversation.first_response_at - conversation.received_at).total_seconds() / 60


@transaction.atomic
def save_reply_template(member: Member, actor: Actor, *, title: str, text: str) -> SavedReply:
    _require(member, Perm.INBOX_REPLY)
    saved = SavedReply(workspace=member.workspace, title=title.strip(), text=text.strip())
    saved.full_clean()
    saved.save()
    audit.record(member.workspace, actor, "savedreply.save", saved, {"title": [None, saved.title]})
    return saved


@transaction.atomic
def delete_reply_template(member: Member, actor: Actor, reply_id: int) -> None:
    _require(member, Perm.INBOX_REPLY)
    saved = SavedReply.objects.get(pk=reply_id, workspace_id=member.workspace_id)
    audit.record(
        member.workspace, actor, "savedreply.delete", saved, {"title": [saved.title, None]}
    )
    saved.delete()


@transaction.atomic
def update_settings(
    member: Member,
    actor: Actor,
    *,
    first_response_minutes: int,
    business_hours: dict,
    holidays: list[str],
    resolution_minutes: int | None = None,
) -> InboxSettings:
    _require(member, Perm.WORKSPACE_EDIT)
    settings, _created = InboxSettings.objects.select_for_update().get_or_create(
        workspace_id=member.workspace_id
    )
    fields = ("first_response_minutes", "resolution_minutes", "business_hours", "holidays")
    before = audit.snapshot(settings, fields)
    if resolution_minutes is not None:
        settings.resolution_minutes = resolution_minutes
    settings.first_response_minutes, settings.business_hours, settings.holidays = (
        first_response_minutes,
        business_hours,
        holidays,
    )
    settings.save()
    changes = audit.diff(before, audit.snapshot(settings, fields))
    if changes:
        audit.record(member.workspace, actor, "inbox.settings", settings, changes)
    return settings


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
    from kalrav.inbox.tasks import send_reply

    transaction.on_commit(lambda: send_reply(message.pk, automatic=True))
    return message


@transaction.atomic
def create_team(
    member: Member,
    actor: Actor,
    *,
    name: str,
    email: str,
    first_response_minutes: int,
    resolution_minutes: int | None = None,
) -> Team:
    _require(member, Perm.WORKSPACE_EDIT)
    if Team.objects.filter(workspace_id=member.workspace_id, name__iexact=name.strip()).exists():
        raise ValidationError({"name": _("A team of that name exists already.")})
    team = Team.objects.create(
        workspace=member.workspace,
        name=name.strip(),
        email=email,
        first_response_minutes=first_response_minutes,
        resolution_minutes=resolution_minutes or Team._meta.get_field("resolution_minutes").default,
    )
    audit.record(member.workspace, actor, "team.create", team, {"name": [None, team.name]})
    return team


@transaction.atomic
def create_rule(member: Member, actor: Actor, **fields) -> RoutingRule:
    _require(member, Perm.WORKSPACE_EDIT)
    team_id = int(fields.pop("team")) if fields.get("team") else None
    if (
        team_id is not None
        and not Team.objects.filter(pk=team_id, workspace_id=member.workspace_id).exists()
    ):
        raise ValidationError({"team": _("Choose a team of this workspace.")})
    priority = fields.pop("priority", "")
    last = (
        RoutingRule.objects.filter(workspace_id=member.workspace_id).order_by("-position").first()
    )
    rule = RoutingRule.objects.create(
        workspace=member.workspace,
        position=(last.position + 1) if last else 0,
        team_id=team_id,
        priority=int(priority) if priority not in ("", None) else None,
        **fields,
    )
    audit.record(member.workspace, actor, "rule.create", rule, {"name": [None, rule.name]})
    return rule


@transaction.atomic
def delete_rule(member: Member, actor: Actor, rule_id: int) -> None:
    _require(member, Perm.WORKSPACE_EDIT)
    rule = RoutingRule.objects.get(pk=rule_id, workspace_id=member.workspace_id)
    audit.record(member.workspace, actor, "rule.delete", rule, {"name": [rule.name, None]})
    rule.delete()
