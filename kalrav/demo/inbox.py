"""The demo inbox: teams with their own targets and hours, routing rules (one hands off to Billing
by email), saved replies and views, and the conversations of `conversations.py` arriving through
ingestion: complaints, questions and praise in the languages of the demo brand, and three weeks
of answered and resolved conversations so the response-time report has real medians, with two
missed targets.

Everything is made through the services, as a person would, so the audit log reads true; only
the moments in the past (when a conversation arrived, was answered, was resolved) are set
directly afterwards, since no service can act in the past. Each part checks whether it exists,
so running it again changes nothing, and an older demo gains the newer parts.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime, time, timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_noop

from kalrav.channels.models import Channel
from kalrav.connectors.base import Author, IncomingItem, ItemKind
from kalrav.demo.conversations import HISTORY, ITEMS, Past
from kalrav.inbox.intake.ingest import ingest
from kalrav.inbox.models import (
    Conversation,
    ConversationState,
    Delivery,
    Direction,
    InboxSettings,
    Message,
    Note,
    Priority,
    RoutingRule,
    SavedReply,
    SavedView,
    Team,
)
from kalrav.inbox.sla import breaches, targets
from kalrav.inbox.teams import services as teams
from kalrav.inbox.work import conversations, replies, saved_views
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import Member, Workspace
from kalrav.workspaces.permissions import Role

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
# (name, hand-off email, first response and resolution targets in business minutes, hours,
# roles of its members)
TEAMS = [
    (
        "Support",
        "support@shantitea.example",
        30,
        8 * 60,
        {**{d: [["09:00", "18:00"]] for d in WEEKDAYS}, "sat": [["10:00", "14:00"]]},
        [Role.AGENT, Role.OWNER],
    ),
    (
        "Billing",
        "billing@shantitea.example",
        4 * 60,
        2 * 7 * 60,  # two working days of seven hours
        {d: [["10:00", "17:00"]] for d in WEEKDAYS},
        [Role.MANAGER],
    ),
    (
        "PR",
        "press@shantitea.example",
        60,
        8 * 60,
        {d: [["08:00", "22:00"]] for d in (*WEEKDAYS, "sat", "sun")},
        [Role.OWNER],
    ),
    ("Sales", "sales@shantitea.example", 4 * 60, 3 * 14 * 60, {}, [Role.MANAGER]),
]

# Rules in order; a later match overrides an earlier one's team.
RULES: list[dict[str, Any]] = [
    {
        "name": "Delivery problems to Support",
        "keywords": ["order", "delivery", "late", "never arrived", "অর্ডার", "ऑर्डर"],
        "team": "Support",
        "priority": Priority.HIGH,
        "tags": ["delivery"],
    },
    {
        "name": "Office and bulk orders to Sales",
        "keywords": ["office", "bulk", "γραφείο", "wholesale"],
        "team": "Sales",
        "tags": ["sales"],
    },
    {
        "name": "Payments and refunds to Billing",
        "keywords": ["refund", "charged", "payment", "invoice", "πληρωμής", "χρεώθηκα"],
        "team": "Billing",
        "priority": Priority.HIGH,
        "tags": ["billing"],
        "handoff": True,
    },
    {
        "name": "Press and collaborations to PR",
        "keywords": ["journalist", "press", "interview", "collaboration", "blogger"],
        "team": "PR",
        "tags": ["press"],
    },
]

SAVED_REPLIES = [
    (
        "Sorry, checking your order",
        "Dear {first_name}, we are sorry! We are checking your order right now and will write back within the hour. Your ticket: {ticket}.",
    ),
    ("Thank you", "Thank you {first_name}! We are so happy you enjoyed it."),
]

# (name, filters, shared with the workspace)
# Marked for the catalogues: the inbox shows a view's stored name in the reader's language when
# it is one of these (`in_reader_language`), so the demo reads right in all five.
SAVED_VIEWS = [
    (
        gettext_noop("Unhappy customers, oldest deadline first"),
        {"sentiment": "negative", "sort": "due"},
        True,
    ),
    (gettext_noop("Unassigned"), {"assignee": "none"}, False),
]


def _members(workspace: Workspace) -> dict[str, Member]:
    """The demo's member for each role, the owner standing in for a role nobody has."""
    found: dict[str, Member] = {}
    for member in Member.objects.filter(workspace=workspace).select_related("user", "workspace"):
        found.setdefault(member.role, member)
    return {role: found.get(role, found[Role.OWNER]) for role in Role}


def _actor(member: Member) -> Actor:
    return Actor(user=member.user, via="command")


def _settings(workspace: Workspace, owner: Member) -> None:
    """The workspace's own targets (for conversations no team takes), unless someone set them."""
    settings = InboxSettings.objects.filter(workspace=workspace).first()
    if settings is not None and (settings.business_hours or settings.first_response_minutes != 15):
        return
    targets.update_settings(
        owner,
        _actor(owner),
        first_response_minutes=2 * 60,
        resolution_minutes=24 * 60,
        business_hours={d: [["08:00", "22:00"]] for d in (*WEEKDAYS, "sat", "sun")},
        holidays=[],
    )


def _teams(workspace: Workspace, people: dict[str, Member]) -> dict[str, Team]:
    owner = people[Role.OWNER]
    for name, email, first, resolution, hours, roles in TEAMS:
        if Team.objects.filter(workspace=workspace, name__iexact=name).exists():
            continue  # kept as it is: someone may have changed it
        team = teams.create_team(
            owner,
            _actor(owner),
            name=name,
            email=email,
            first_response_minutes=first,
            resolution_minutes=resolution,
        )
        teams.update_team(
            owner,
            _actor(owner),
            team.pk,
            time_zone=workspace.time_zone if hours else "",
            business_hours=hours,
            member_ids=sorted({people[role].user_id for role in roles}),
        )
    return {team.name: team for team in Team.objects.filter(workspace=workspace)}


def _rules(workspace: Workspace, owner: Member, by_name: dict[str, Team]) -> None:
    for rule in RULES:
        if RoutingRule.objects.filter(workspace=workspace, name=rule["name"]).exists():
            continue
        team = by_name.get(str(rule["team"]))
        teams.create_rule(owner, _actor(owner), **{**rule, "team": team.pk if team else None})


def _received(past: Past, zone: zoneinfo.ZoneInfo) -> datetime:
    """On a weekday, so the teams' office hours count, whatever day the demo is loaded on."""
    day = timezone.now().astimezone(zone).date() - timedelta(days=past.days_ago)
    day -= timedelta(days=max(day.weekday() - 4, 0))
    return datetime.combine(day, time.fromisoformat(past.at), tzinfo=zone)


def _fresh(channel: Channel, new: set) -> None:
    """The conversations of the last hours arrived when their first message was written."""
    roots = [remote_id for remote_id, *_rest, root in ITEMS if not root and remote_id in new]
    for message in Message.objects.filter(channel=channel, remote_id__in=roots).select_related(
        "conversation__team"
    ):
        conversation = message.conversation
        times = sorted(conversation.messages.values_list("created_at", flat=True))
        conversation.received_at, conversation.last_message_at = times[0], times[-1]
        targets.apply_dues(conversation)
        conversation.save()


def _arrived(conversation: Conversation, received: datetime, breach: str) -> None:
    """Move the conversation's arrival into the past, with the dues its team's calendar gives.
    A conversation meant to show a missed target arrives earlier until that target has passed,
    whatever the weekday the demo is loaded on."""
    now = timezone.now()
    for _day in range(15):
        conversation.received_at = conversation.last_message_at = received
        targets.apply_dues(conversation)
        due = {
            breaches.FIRST_RESPONSE: conversation.first_response_due,
            breaches.RESOLUTION: conversation.resolution_due,
        }.get(breach)
        if due is None or due < now - timedelta(minutes=1):
            break
        received -= timedelta(days=1)
    conversation.save()
    conversation.messages.filter(direction=Direction.IN).update(created_at=received)


def _clamp(moment: datetime) -> datetime:
    return min(moment, timezone.now() - timedelta(minutes=1))


def _history(workspace: Workspace, channel: Channel, people: dict[str, Member], new: set) -> None:
    zone = zoneinfo.ZoneInfo(workspace.time_zone)
    owner = people[Role.OWNER]
    for past in HISTORY:
        if past.remote_id not in new:
            continue  # made by an earlier run: left as it is
        conversation = Conversation.objects.select_related("team").get(
            channel=channel, root_remote_id=past.remote_id
        )
        _arrived(conversation, _received(past, zone), past.breach)
        worker = people[past.worker]
        received = conversation.received_at
        # What the routing rules did (their notes, the hand-off) happened as it arrived.
        conversation.notes.update(created_at=received)
        conversation.handoffs.update(created_at=received)
        conversations.assign(
            owner,
            _actor(owner),
            conversation.pk,
            assignee_id=worker.user_id,
            team_id=conversation.team_id,
        )
        answered = None
        if past.answered is not None:
            answered = _clamp(received + timedelta(minutes=past.answered))
            sent = replies.reply(worker, _actor(worker), conversation.pk, past.reply)
            # Shown as delivered at that time; the queued send then finds nothing to do.
            Message.objects.filter(pk=sent.pk).update(
                delivery=Delivery.SENT, created_at=answered, remote_id=f"{past.remote_id}-answer"
            )
            targets.record_first_response(conversation.pk, answered)
        if past.resolved is not None:
            conversations.set_state(
                worker, _actor(worker), conversation.pk, ConversationState.RESOLVED
            )
            conversation = Conversation.objects.select_related("team").get(pk=conversation.pk)
            targets.mark_resolved(conversation, _clamp(received + timedelta(minutes=past.resolved)))
            conversation.save()
        Conversation.objects.filter(pk=conversation.pk).update(
            last_message_at=answered or received, unread=past.answered is None
        )
        if past.breach:
            target = next(t for t in breaches.TARGETS if t.name == past.breach)
            breaches.record(conversation.pk, target, timezone.now())
            # Noticed when the target passed, as the check that runs every minute would have.
            due = getattr(Conversation.objects.get(pk=conversation.pk), target.due)
            Conversation.objects.filter(pk=conversation.pk).update(**{target.breached: due})
            breach_note = conversation.notes.order_by("-pk").values_list("pk", flat=True)[0]
            Note.objects.filter(pk=breach_note).update(created_at=due)


def _saved(workspace: Workspace, owner: Member) -> None:
    for title, text in SAVED_REPLIES:
        if not SavedReply.objects.filter(workspace=workspace, title=title).exists():
            replies.save_reply_template(owner, _actor(owner), title=title, text=text)
    for name, filters, shared in SAVED_VIEWS:
        if not SavedView.objects.filter(workspace=workspace, owner=owner.user, name=name).exists():
            saved_views.save_view(owner, _actor(owner), name=name, filters=filters, shared=shared)


def load(workspace: Workspace, channel: Channel) -> None:
    """The demo inbox, arriving on `channel` (the demo's sandbox channel, which can answer)."""
    people = _members(workspace)
    owner = people[Role.OWNER]
    _settings(workspace, owner)
    # Teams and rules first, so the demo conversations arrive routed.
    _rules(workspace, owner, _teams(workspace, people))
    now = timezone.now()
    items = [
        IncomingItem(
            kind=kind,
            remote_id=remote_id,
            author=Author(remote_id=f"did:demo:{handle}", handle=handle, display_name=name),
            text=text,
            created_at=now - timedelta(minutes=minutes),
            parent_id=root,
            root_id=root,
        )
        for remote_id, kind, handle, name, minutes, text, root in ITEMS
    ]
    items += [
        IncomingItem(
            kind=ItemKind.COMMENT,
            remote_id=past.remote_id,
            author=Author(
                remote_id=f"did:demo:{past.handle}", handle=past.handle, display_name=past.name
            ),
            text=past.text,
            created_at=now - timedelta(days=past.days_ago),
        )
        for past in HISTORY
    ]
    new = {message.remote_id for message in ingest(channel, items, via="poll")}
    _fresh(channel, new)
    _history(workspace, channel, people, new)
    _saved(workspace, owner)
