"""The notification centre: one place for what each person must see, whichever part of Kalrav it
comes from. Mentions in inbox notes, posts that failed to publish, and posts waiting for the
person's approval.

Each part keeps its own notifications (written in the same transaction as what they report,
and emailed from there); the centre only reads them together, newest first, and marks them read.
Approvals are a to-do list rather than events: they count until someone decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kalrav.inbox.models import InboxNotification
from kalrav.listening.alerts.models import AlertNotice
from kalrav.publishing import approvals
from kalrav.publishing.models import Notification as PublishingNotification
from kalrav.workspaces.models import Member
from kalrav.workspaces.permissions import Perm

# What the centre shows at once; older entries stay where each part lists them.
SHOWN = 100


@dataclass(frozen=True)
class Entry:
    kind: str  # "mention" | "publish_failed" | "listening_alert"
    title: str
    text: str
    url: str
    created_at: datetime
    unread: bool


def awaiting_approval(member: Member) -> int:
    """Variants waiting for approval, counted as the approvals queue counts them, for someone who
    may approve them."""
    if not member.can(Perm.CONTENT_APPROVE):
        return 0
    return approvals.awaiting_count(member.workspace_id)


def unread_count(member: Member) -> int:
    """Unread mentions and failures, plus the posts waiting for this person's approval."""
    mentions = InboxNotification.objects.filter(
        user_id=member.user_id, workspace_id=member.workspace_id, read_at=None
    ).count()
    failures = PublishingNotification.objects.filter(
        user_id=member.user_id, workspace_id=member.workspace_id, read_at=None
    ).count()
    alerts = AlertNotice.objects.filter(
        user_id=member.user_id, workspace_id=member.workspace_id, read_at=None
    ).count()
    return mentions + failures + alerts + awaiting_approval(member)


def entries(member: Member) -> list[Entry]:
    slug = member.workspace.slug
    found: list[Entry] = []
    mentions = (
        InboxNotification.objects.filter(user_id=member.user_id, workspace_id=member.workspace_id)
        .select_related("actor", "conversation")
        .order_by("-created_at", "-id")[:SHOWN]
    )
    for note in mentions:
        who = note.actor.display_name if note.actor else "Kalrav"
        found.append(
            Entry(
                kind="mention",
                title=_("%(who)s mentioned you") % {"who": who},
                text=note.text,
                url=reverse(
                    "inbox:conversation",
                    kwargs={"ws": slug, "conversation_id": note.conversation_id},
                ),
                created_at=note.created_at,
                unread=note.read_at is None,
            )
        )
    failures = (
        PublishingNotification.objects.filter(
            user_id=member.user_id, workspace_id=member.workspace_id
        )
        .select_related("variant__channel")
        .order_by("-created_at", "-id")[:SHOWN]
    )
    for failure in failures:
        variant = failure.variant
        channel = variant.channel.name if variant is not None else ""
        found.append(
            Entry(
                kind="publish_failed",
                title=_("A post to %(channel)s failed") % {"channel": channel}
                if channel
                else _("A post failed"),
                text=failure.text,
                url=reverse("publishing:post", kwargs={"ws": slug, "post_id": variant.post_id})
                if variant is not None
                else reverse("publishing:calendar", kwargs={"ws": slug}),
                created_at=failure.created_at,
                unread=failure.read_at is None,
            )
        )
    notices = (
        AlertNotice.objects.filter(user_id=member.user_id, workspace_id=member.workspace_id)
        .select_related("alert__monitor")
        .order_by("-created_at", "-id")[:SHOWN]
    )
    for notice in notices:
        alert = notice.alert
        found.append(
            Entry(
                kind="listening_alert",
                title=_("Alert on %(monitor)s: %(kind)s")
                % {"monitor": alert.monitor.name, "kind": alert.get_kind_display()},
                text=alert.describe(),
                url=reverse("listening_alerts:alert", kwargs={"ws": slug, "alert_id": alert.pk}),
                created_at=notice.created_at,
                unread=notice.read_at is None,
            )
        )
    found.sort(key=lambda e: e.created_at, reverse=True)
    return found[:SHOWN]


def mark_all_read(member: Member) -> int:
    now = timezone.now()
    return (
        InboxNotification.objects.filter(
            user_id=member.user_id, workspace_id=member.workspace_id, read_at=None
        ).update(read_at=now)
        + PublishingNotification.objects.filter(
            user_id=member.user_id, workspace_id=member.workspace_id, read_at=None
        ).update(read_at=now)
        + AlertNotice.objects.filter(
            user_id=member.user_id, workspace_id=member.workspace_id, read_at=None
        ).update(read_at=now)
    )
