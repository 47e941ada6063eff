"""Work on conversations: assign, change state, tag, note, mark read.

Each change is one transaction with an audit entry (replies: kalrav.inbox.work.replies).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kalrav.inbox import events
from kalrav.inbox.models import (
    Conversation,
    ConversationState,
    Note,
    Team,
)
from kalrav.inbox.sla import targets
from kalrav.inbox.work import mentions
from kalrav.workspaces import audit
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import Member
from kalrav.workspaces.permissions import Perm

MAX_TAGS = 20


def locked_conversation(member: Member, conversation_id: int) -> Conversation:
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
    member.require(Perm.INBOX_REPLY)
    conversation = locked_conversation(member, conversation_id)
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
    member.require(Perm.INBOX_REPLY)
    if state not in ConversationState.values:
        raise ValidationError({"state": _("Unknown state.")})
    conversation = locked_conversation(member, conversation_id)
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
def mark_answered_on_source(member: Member, actor: Actor, conversation_id: int) -> Conversation:
    """A conversation answered on the site it came from (see Conversation.answer_on_source):
    the answer counts as the first response, and the conversation is resolved."""
    member.require(Perm.INBOX_REPLY)
    conversation = locked_conversation(member, conversation_id)
    if not conversation.answer_on_source:
        raise ValidationError(_("Answer this conversation here: it came from a connected channel."))
    now = timezone.now()
    before = conversation.state
    if before != ConversationState.RESOLVED:
        conversation.state = ConversationState.RESOLVED
        targets.mark_resolved(conversation, now)
        conversation.save()
        audit.record(
            member.workspace,
            actor,
            "conversation.state",
            conversation,
            {"state": [before, ConversationState.RESOLVED]},
        )
        events.conversation_resolved(conversation)
    # After the save, which would write back the first-response time this object read.
    targets.record_first_response(conversation.pk, now)
    return conversation


@transaction.atomic
def set_tags(member: Member, actor: Actor, conversation_id: int, tags: list[str]) -> Conversation:
    member.require(Perm.INBOX_REPLY)
    cleaned = list(dict.fromkeys(t.strip().lower() for t in tags if t.strip()))
    if len(cleaned) > MAX_TAGS or any(len(t) > 40 for t in cleaned):
        raise ValidationError({"tags": _("At most 20 tags of up to 40 characters.")})
    conversation = locked_conversation(member, conversation_id)
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
    member.require(Perm.INBOX_VIEW)
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("Write the note first.")})
    conversation = locked_conversation(member, conversation_id)
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


def first_response_minutes(conversation: Conversation) -> float | None:
    if conversation.first_response_at is None:
        return None
    return (conversation.first_response_at - conversation.received_at).total_seconds() / 60
