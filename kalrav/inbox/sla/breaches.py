"""Missed response-time targets: found every minute, recorded once, told to who must act.

A breach is claimed with one conditional UPDATE (`…_breached_at` still empty), so two workers
running the check at once, or a check that runs again after a crash, record and notify it once.
Who is told: the assignee; without one, the members of the conversation's team; without those,
the workspace's owners and managers. They get an email, the conversation gets a note saying what
was missed and who was told, the list shows it in red, and `sla.breached` goes to the webhooks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial

from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from huey.contrib.djhuey import db_task

from kalrav.inbox import events
from kalrav.inbox.models import Conversation, ConversationState, Note
from kalrav.workspaces.models import Member
from kalrav.workspaces.permissions import MATRIX, Perm, Role

BATCH = 500
FIRST_RESPONSE, RESOLUTION = "first_response", "resolution"


@dataclass(frozen=True)
class Target:
    name: str
    due: str
    done: str
    breached: str


TARGETS = (
    Target(FIRST_RESPONSE, "first_response_due", "first_response_at", "first_response_breached_at"),
    Target(RESOLUTION, "resolution_due", "resolved_at", "resolution_breached_at"),
)
CLOSED = [ConversationState.RESOLVED, ConversationState.SPAM]


def check(now: datetime | None = None) -> int:
    """Record every breach that happened since the last run; returns how many were new."""
    now = now or timezone.now()
    found = 0
    for target in TARGETS:
        # Matches the partial index on (due) where done and breached are empty.
        waiting = (
            Conversation.objects.filter(
                **{f"{target.due}__lte": now, target.done: None, target.breached: None}
            )
            .exclude(state__in=CLOSED)
            .order_by(target.due)
            .values_list("pk", flat=True)[:BATCH]
        )
        for conversation_id in list(waiting):
            found += record(conversation_id, target, now)
    return found


def recipients(conversation: Conversation) -> list[int]:
    """User ids to tell, in the order above; only people still in the workspace's inbox roles."""
    inbox_roles = [role for role in Role if role in MATRIX[Perm.INBOX_VIEW]]
    members = Member.objects.filter(
        workspace_id=conversation.workspace_id, role__in=inbox_roles
    ).order_by("user_id")
    if conversation.assignee_id and members.filter(user_id=conversation.assignee_id).exists():
        return [conversation.assignee_id]
    if conversation.team_id:
        team_people = list(
            members.filter(user__inbox_teams=conversation.team_id).values_list("user_id", flat=True)
        )
        if team_people:
            return team_people
    return list(
        members.filter(role__in=[Role.OWNER, Role.MANAGER]).values_list("user_id", flat=True)
    )


def _label(target_name: str) -> str:
    if target_name == FIRST_RESPONSE:
        return _("First-response target missed")
    return _("Resolution target missed")


@transaction.atomic
def record(conversation_id: int, target: Target, now: datetime) -> int:
    claimed = Conversation.objects.filter(pk=conversation_id, **{target.breached: None}).update(
        **{target.breached: now}
    )
    if not claimed:
        return 0
    conversation = Conversation.objects.select_related(
        "workspace", "channel", "assignee", "team"
    ).get(pk=conversation_id)
    people = recipients(conversation)
    names = list(
        get_user_model()
        .objects.filter(pk__in=people)
        .order_by("pk")
        .values_list("first_name", "email")
    )
    told = ", ".join(first or email for first, email in names) or _("nobody (no one to tell)")
    Note.objects.create(
        conversation=conversation,
        author=None,
        text=_("%(missed)s. Kalrav told %(people)s by email.")
        % {"missed": _label(target.name), "people": told},
    )
    events.sla_breached(conversation, target.name, getattr(conversation, target.due), now)
    if people:
        transaction.on_commit(partial(send_breach_emails, conversation.pk, target.name, people))
    return 1


def send_emails(conversation_id: int, target_name: str, user_ids: list[int]) -> int:
    """One email per person, in their language, with the link to the conversation."""
    conversation = Conversation.objects.select_related("workspace", "channel").get(
        pk=conversation_id
    )
    due = getattr(conversation, f"{target_name}_due")
    sent = 0
    for user in get_user_model().objects.filter(pk__in=user_ids, is_active=True):
        if not user.email:
            continue
        with translation.override(getattr(user, "language", "") or conversation.workspace.language):
            local_due = timezone.localtime(due, timezone=_zone(conversation.workspace.time_zone))
            subject = _("%(missed)s: %(who)s on %(channel)s") % {
                "missed": _label(target_name),
                "who": conversation.author_name or conversation.author_handle,
                "channel": conversation.channel.name,
            }
            body = _(
                "%(missed)s for this conversation (it was due %(due)s, %(zone)s):\n\n"
                "“%(excerpt)s”\n\nOpen it to answer: %(link)s"
            ) % {
                "missed": _label(target_name),
                "due": local_due.strftime("%Y-%m-%d %H:%M"),
                "zone": conversation.workspace.time_zone,
                "excerpt": conversation.excerpt,
                "link": conversation.link(),
            }
        send_mail(subject, body, None, [user.email])
        sent += 1
    return sent


def _zone(name: str):
    from zoneinfo import ZoneInfo

    return ZoneInfo(name or django_settings.TIME_ZONE)


@db_task(retries=3, retry_delay=60)
def send_breach_emails(conversation_id: int, target: str, user_ids: list[int]) -> int:
    return send_emails(conversation_id, target, user_ids)
