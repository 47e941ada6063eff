"""One change to many conversations at once: assign, set the state, add a tag, set the priority.

All or nothing in one transaction. Each conversation gets its own audit entry (the same entry a
change made on the conversation page writes), so a conversation's history shows what was done
to it whichever way it was done. Ids outside the member's workspace are ignored, never touched.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kalrav.inbox.models import Conversation, ConversationState, Priority
from kalrav.inbox.work import conversations
from kalrav.inbox.work.conversations import locked_conversation
from kalrav.workspaces import audit
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import Member
from kalrav.workspaces.permissions import Perm

ACTIONS = ("assign", "state", "tag", "priority")
MAX_IDS = 200


@transaction.atomic
def set_priority(member: Member, actor: Actor, conversation_id: int, priority: int) -> Conversation:
    member.require(Perm.INBOX_REPLY)
    if priority not in Priority.values:
        raise ValidationError({"priority": _("Unknown priority.")})
    conversation = locked_conversation(member, conversation_id)
    if conversation.priority != priority:
        before = conversation.priority
        conversation.priority = priority
        conversation.save(update_fields=["priority"])
        audit.record(
            member.workspace,
            actor,
            "conversation.priority",
            conversation,
            {"priority": [before, priority]},
        )
    return conversation


def _ids(ids) -> list[int]:
    try:
        cleaned = list(dict.fromkeys(int(i) for i in ids))
    except (TypeError, ValueError):
        raise ValidationError({"ids": _("Conversation ids are whole numbers.")}) from None
    if not cleaned:
        raise ValidationError({"ids": _("Select at least one conversation.")})
    if len(cleaned) > MAX_IDS:
        raise ValidationError({"ids": _("At most %(n)d conversations at once.") % {"n": MAX_IDS}})
    return cleaned


def _value(member: Member, action: str, value) -> int | str | None:
    """The value checked once, before anything changes."""
    text = "" if value is None else str(value).strip()
    if action == "assign":
        if text in ("", "none"):
            return None
        if (
            not text.isdigit()
            or not Member.objects.filter(
                workspace_id=member.workspace_id, user_id=int(text)
            ).exists()
        ):
            raise ValidationError({"value": _("Choose a member of this workspace.")})
        return int(text)
    if action == "state":
        if text not in ConversationState.values:
            raise ValidationError({"value": _("Unknown state.")})
        return text
    if action == "tag":
        tag = text.lower()
        if not tag or len(tag) > 40 or "," in tag:
            raise ValidationError({"value": _("Write one tag of up to 40 characters.")})
        return tag
    if action == "priority":
        if not text.isdigit() or int(text) not in Priority.values:
            raise ValidationError({"value": _("Unknown priority.")})
        return int(text)
    raise ValidationError(
        {"action": _("Choose an action: %(actions)s.") % {"actions": ", ".join(ACTIONS)}}
    )


@transaction.atomic
def bulk_update(member: Member, actor: Actor, ids, action: str, value) -> list[int]:
    """Apply one action to the workspace's conversations among `ids`; returns their ids."""
    member.require(Perm.INBOX_REPLY)
    wanted = _ids(ids)
    checked = _value(member, action, value)
    found = list(
        Conversation.objects.filter(workspace_id=member.workspace_id, pk__in=wanted)
        .order_by("pk")
        .values_list("pk", "team_id", "tags")
    )
    for pk, team_id, tags in found:
        if action == "assign":
            conversations.assign(member, actor, pk, assignee_id=checked, team_id=team_id)  # type: ignore[arg-type]
        elif action == "state":
            conversations.set_state(member, actor, pk, str(checked))
        elif action == "tag":
            if checked not in tags:
                conversations.set_tags(member, actor, pk, [*tags, str(checked)])
        else:
            set_priority(member, actor, pk, int(checked))  # type: ignore[arg-type]
    return [pk for pk, _team, _tags in found]


def done_message(action: str, value, count: int) -> str:
    """What the toast says after a bulk change."""
    if action == "state" and value == ConversationState.RESOLVED:
        text = ngettext("Resolved %(n)d conversation.", "Resolved %(n)d conversations.", count)
    elif action == "state" and value == ConversationState.SPAM:
        text = ngettext(
            "Marked %(n)d conversation as spam.", "Marked %(n)d conversations as spam.", count
        )
    elif action == "assign":
        text = ngettext("Assigned %(n)d conversation.", "Assigned %(n)d conversations.", count)
    elif action == "tag":
        text = ngettext("Tagged %(n)d conversation.", "Tagged %(n)d conversations.", count)
    elif action == "priority":
        text = ngettext(
            "Changed the priority of %(n)d conversation.",
            "Changed the priority of %(n)d conversations.",
            count,
        )
    else:
        text = ngettext("Changed %(n)d conversation.", "Changed %(n)d conversations.", count)
    return text % {"n": count}
