"""Queues, "add to queue", best times and recurring posts over /api/v1/workspaces/{ws}/…; each
operation calls the same services as the pages."""

from __future__ import annotations

from datetime import date, datetime
from datetime import time as TimeOfDay  # schemas have a field named `time`

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from kalrav.api.auth import ApiRequest, caller, requires
from kalrav.api.schemas import ERRORS
from kalrav.channels.models import Channel
from kalrav.publishing import workspace_settings
from kalrav.publishing.api import VariantOut
from kalrav.publishing.models import Post, Variant
from kalrav.publishing.queues import best_time, recurrence, services
from kalrav.workspaces.permissions import Perm

router = Router(tags=["queues"])


class SlotSchema(Schema):
    weekday: int
    time: TimeOfDay


class QueueOut(Schema):
    channel_id: int
    channel: str
    time_zone: str
    text: str
    slots: list[SlotSchema]
    next_free: list[datetime]


class QueueIn(Schema):
    """Either `slots` or `text` ("Mon-Fri 09:30, 13:00; Sat 11:00"); an empty list clears the queue."""

    slots: list[SlotSchema] | None = None
    text: str | None = None


class HourOut(Schema):
    weekday: int
    hour: int
    engagements: int
    posts: int


class BestTimeOut(Schema):
    channel_id: int
    enough_history: bool
    message: str
    engagements: int
    needed: int
    since: datetime
    top: list[HourOut]
    next_at: datetime | None


class RecurrenceIn(Schema):
    frequency: str
    interval: int = 1
    day_of_month: int | None = None
    starts_on: date | None = None
    time: TimeOfDay | None = None
    until: date | None = None
    count: int | None = None


class RecurrenceOut(Schema):
    frequency: str
    interval: int
    day_of_month: int | None
    starts_on: date
    time: TimeOfDay
    until: date | None
    count: int | None
    active: bool
    description: str
    next_occurrences: list[datetime]


class RecurrenceState(Schema):
    post_id: int
    occurrence_index: int | None
    recurrence: RecurrenceOut | None


def _queue(member, channel: Channel) -> dict:
    slots = services.slots_of(channel.pk)
    zone = workspace_settings.zone_of(member.workspace)
    return {
        "channel_id": channel.pk,
        "channel": channel.name,
        "time_zone": zone.key,
        "text": services.format_slots(slots),
        "slots": [{"weekday": d, "time": t} for d, t in slots],
        "next_free": services.free_slots(channel.pk, zone, limit=5, slots=slots),
    }


@router.get("/{ws}/queues", response={200: list[QueueOut], **ERRORS})
@requires(Perm.CONTENT_VIEW)
def list_queues(request: ApiRequest, ws: str):
    """Every channel's slots (local wall-clock times in the workspace's zone) and its next free ones."""
    member = request.member
    return [_queue(member, c) for c in Channel.objects.filter(workspace=member.workspace)]


@router.get(
    "/{ws}/channels/{channel_id}/queue",
    response={200: QueueOut, **ERRORS},
)
@requires(Perm.CONTENT_VIEW)
def get_queue(request: ApiRequest, ws: str, channel_id: int):
    member = request.member
    return _queue(member, get_object_or_404(Channel, pk=channel_id, workspace=member.workspace))


@router.put(
    "/{ws}/channels/{channel_id}/queue",
    response={200: QueueOut, **ERRORS},
)
@requires(Perm.CONTENT_EDIT)
def replace_queue(request: ApiRequest, ws: str, channel_id: int, payload: QueueIn):
    """Replace the channel's slots; variants already scheduled keep their times."""
    who = caller(request)
    member = request.member
    channel = get_object_or_404(Channel, pk=channel_id, workspace=member.workspace)
    if (payload.slots is None) == (payload.text is None):
        raise ValidationError({"slots": _("Give either slots or text, not both.")})
    if payload.text is not None:
        slots = services.parse_slots(payload.text)
    else:
        slots = [(s.weekday, s.time.replace(tzinfo=None)) for s in payload.slots or []]
    services.replace_slots(member, who.actor, channel.pk, slots)
    return _queue(member, channel)


@router.post(
    "/{ws}/variants/{variant_id}/queue",
    response={200: VariantOut, **ERRORS},
)
@requires(Perm.CONTENT_EDIT)
def queue_variant(request: ApiRequest, ws: str, variant_id: int):
    """Schedule the variant at its channel's next free slot (the same checks as scheduling)."""
    who = caller(request)
    member = request.member
    get_object_or_404(Variant, pk=variant_id, post__workspace=member.workspace)
    return services.queue_variant(member, who.actor, variant_id)


@router.post(
    "/{ws}/posts/{post_id}/queue",
    response={200: list[VariantOut], **ERRORS},
)
@requires(Perm.CONTENT_EDIT)
def queue_post(request: ApiRequest, ws: str, post_id: int):
    """Each variant not scheduled yet goes to its own channel's next free slot; all or none."""
    who = caller(request)
    member = request.member
    get_object_or_404(Post, pk=post_id, workspace=member.workspace)
    return services.queue_post(member, who.actor, post_id)


@router.get(
    "/{ws}/channels/{channel_id}/best-time",
    response={200: BestTimeOut, **ERRORS},
)
@requires(Perm.CONTENT_VIEW)
def get_best_time(request: ApiRequest, ws: str, channel_id: int):
    """The hours of the week (workspace zone) with the most comments, replies and mentions on this
    channel in the last four weeks; `enough_history` is false below the threshold."""
    member = request.member
    channel = get_object_or_404(Channel, pk=channel_id, workspace=member.workspace)
    found = best_time.suggest(channel.pk, workspace_settings.zone_of(member.workspace))
    return {
        "channel_id": channel.pk,
        "enough_history": found.enough,
        "message": found.message,
        "engagements": found.engagements,
        "needed": found.needed,
        "since": found.since,
        "top": [vars(h) for h in found.top],
        "next_at": found.next_at,
    }


def _recurrence_state(post: Post) -> dict:
    found = recurrence.recurrence_of(post)
    if found is None:
        return {"post_id": post.pk, "occurrence_index": None, "recurrence": None}
    rule, index = found
    return {
        "post_id": post.pk,
        "occurrence_index": index,
        "recurrence": {
            "frequency": rule.frequency,
            "interval": rule.interval,
            "day_of_month": rule.day_of_month,
            "starts_on": rule.anchor_date,
            "time": rule.local_time,
            "until": rule.until,
            "count": rule.count,
            "active": rule.active,
            "description": recurrence.describe(rule),
            "next_occurrences": recurrence.upcoming(rule, index, 3),
        },
    }


@router.get(
    "/{ws}/posts/{post_id}/recurrence",
    response={200: RecurrenceState, **ERRORS},
)
@requires(Perm.CONTENT_VIEW)
def get_recurrence(request: ApiRequest, ws: str, post_id: int):
    member = request.member
    return _recurrence_state(get_object_or_404(Post, pk=post_id, workspace=member.workspace))


@router.put(
    "/{ws}/posts/{post_id}/recurrence",
    response={200: RecurrenceState, **ERRORS},
)
@requires(Perm.CONTENT_EDIT)
def set_recurrence(request: ApiRequest, ws: str, post_id: int, payload: RecurrenceIn):
    """Repeat the post weekly or monthly at the same local time. `starts_on` and `time` default to
    the post's planned time; on day 29-31 a shorter month takes its last day; `count` includes this
    post."""
    who = caller(request)
    member = request.member
    post = get_object_or_404(Post, pk=post_id, workspace=member.workspace)
    fields = payload.dict()
    fields["at"] = fields.pop("time")
    if fields["at"] is not None:
        fields["at"] = fields["at"].replace(tzinfo=None)
    recurrence.set_recurrence(member, who.actor, post.pk, **fields)
    return _recurrence_state(post)


@router.delete(
    "/{ws}/posts/{post_id}/recurrence",
    response={204: None, **ERRORS},
)
@requires(Perm.CONTENT_EDIT)
def clear_recurrence(request: ApiRequest, ws: str, post_id: int):
    """Stop the series; posts already made stay."""
    who = caller(request)
    member = request.member
    post = get_object_or_404(Post, pk=post_id, workspace=member.workspace)
    recurrence.clear_recurrence(member, who.actor, post.pk)
    return Status(204, None)
