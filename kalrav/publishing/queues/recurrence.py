"""Recurring posts: a post repeats weekly or monthly, until a date or a number of times.

When a variant of a recurring post is published (the `variant_published` signal), the next
occurrence is made as a new post with the same copy, variants, options and media, at the same
wall-clock time in the workspace's zone on the next date of the series: 09:00 in Athens stays 09:00
in Athens across the March and October changes. Dates are counted from the series' anchor, so a
monthly post on the 31st goes out on the last day of shorter months (30 April, 28 or 29 February)
and on the 31st again in May. A time that falls in a spring-forward gap moves forward by the gap
and an ambiguous autumn time takes its first occurrence (see `services.local_to_utc`).

The new post follows the rules of any new post: where the workspace requires approval its variants
wait for approval (planned at their time, with an approval request, never scheduled unapproved)
and go on the schedule for that time when approved; otherwise they are scheduled. A next date already in the past (a publication that came very late)
is skipped for the first date still ahead.
"""

from __future__ import annotations

import calendar
import logging
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kalrav.publishing import approvals, scheduling, workspace_settings
from kalrav.publishing.calendar.grid import add_months
from kalrav.publishing.models import Post, Variant, VariantMedia
from kalrav.publishing.queues.models import Frequency, Occurrence, Recurrence
from kalrav.publishing.queues.services import LEAD, local_to_utc
from kalrav.workspaces import audit
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import Member
from kalrav.workspaces.permissions import Perm, Role

logger = logging.getLogger(__name__)

MAX_INTERVAL = 52
# How many missed dates a late publication may skip before the series gives up.
MAX_SKIPPED = 1000
RULE_FIELDS = (
    "frequency",
    "interval",
    "anchor_date",
    "anchor_index",
    "local_time",
    "day_of_month",
    "until",
    "count",
    "active",
)
SERIES_ACTOR = Actor(via="system", label="Kalrav (recurring post)")


def occurrence_date(rule: Recurrence, index: int) -> date:
    steps = (index - rule.anchor_index) * rule.interval
    if rule.frequency == Frequency.WEEKLY:
        return rule.anchor_date + timedelta(weeks=steps)
    first = add_months(rule.anchor_date, steps)
    wanted = rule.day_of_month or rule.anchor_date.day
    return first.replace(day=min(wanted, calendar.monthrange(first.year, first.month)[1]))


def occurrence_time(rule: Recurrence, index: int) -> datetime:
    zone = workspace_settings.zone_of(rule.workspace)
    return local_to_utc(occurrence_date(rule, index), rule.local_time, zone)


def describe(rule: Recurrence) -> str:
    at = rule.local_time.strftime("%H:%M")
    if rule.frequency == Frequency.WEEKLY:
        from django.utils.dates import WEEKDAYS

        text = (
            _("Every week on %(day)s at %(time)s")
            if rule.interval == 1
            else _("Every %(n)d weeks on %(day)s at %(time)s")
        ) % {"n": rule.interval, "day": WEEKDAYS[rule.anchor_date.weekday()], "time": at}
    else:
        text = (
            _("Every month on day %(day)d at %(time)s")
            if rule.interval == 1
            else _("Every %(n)d months on day %(day)d at %(time)s")
        ) % {"n": rule.interval, "day": rule.day_of_month or rule.anchor_date.day, "time": at}
        if (rule.day_of_month or rule.anchor_date.day) > 28:
            text += _(" (the last day in shorter months)")
    if rule.until:
        text += _(", until %(date)s") % {"date": rule.until.isoformat()}
    if rule.count:
        text += _(", %(n)d times in all") % {"n": rule.count}
    if not rule.active:
        text += _(" — stopped")
    return text


def _planned_local(post: Post) -> datetime | None:
    first = post.variants.exclude(scheduled_at=None).order_by("scheduled_at").first()
    if first is None or first.scheduled_at is None:
        return None
    return first.scheduled_at.astimezone(workspace_settings.zone_of(post.workspace))


def _clean_rule(
    frequency: str,
    interval: int,
    day_of_month: int | None,
    starts_on: date,
    until: date | None,
    count: int | None,
) -> None:
    problems: dict[str, str] = {}
    if frequency not in Frequency.values:
        problems["frequency"] = _("Choose weekly or monthly.")
    if not 1 <= interval <= MAX_INTERVAL:
        problems["interval"] = _("Repeat every 1 to %(max)d weeks or months.") % {
            "max": MAX_INTERVAL
        }
    if day_of_month is not None and not 1 <= day_of_month <= 31:
        problems["day_of_month"] = _("Choose a day of the month from 1 to 31.")
    if day_of_month is not None and frequency == Frequency.WEEKLY:
        problems["day_of_month"] = _("A day of the month is for monthly posts only.")
    if until is not None and until < starts_on:
        problems["until"] = _("The end date comes before the first date.")
    if count is not None and count < 1:
        problems["count"] = _("Repeat at least once.")
    if problems:
        raise ValidationError(problems)


@transaction.atomic
def set_recurrence(
    member: Member,
    actor: Actor,
    post_id: int,
    *,
    frequency: str,
    interval: int = 1,
    day_of_month: int | None = None,
    starts_on: date | None = None,
    at: time | None = None,
    until: date | None = None,
    count: int | None = None,
) -> Recurrence:
    """Make a post repeat (or change how its series repeats, from this post on). The date and time
    default to the post's planned time in the workspace's zone; `count` counts this post too."""
    member.require(Perm.CONTENT_EDIT)
    post = Post.objects.select_for_update().get(pk=post_id, workspace_id=member.workspace_id)
    planned = _planned_local(post)
    if starts_on is None or at is None:
        if planned is None:
            raise ValidationError(
                {"starts_on": _("Plan the post on the calendar first, or give its date and time.")}
            )
        starts_on = starts_on or planned.date()
        at = at or planned.time().replace(second=0, microsecond=0)
    _clean_rule(frequency, interval, day_of_month, starts_on, until, count)
    occurrence = Occurrence.objects.select_related("recurrence").filter(post=post).first()
    if occurrence is not None:
        rule = Recurrence.objects.select_for_update().get(pk=occurrence.recurrence_id)
        before = audit.snapshot(rule, RULE_FIELDS)
    else:
        rule = Recurrence(workspace=member.workspace, created_by=actor.user)
        before = {}
    rule.frequency = frequency
    rule.interval = interval
    rule.day_of_month = day_of_month if frequency == Frequency.MONTHLY else None
    rule.anchor_date = starts_on
    rule.anchor_index = occurrence.index if occurrence else 0
    rule.local_time = at.replace(second=0, microsecond=0, tzinfo=None)
    rule.until = until
    rule.count = count
    rule.active = True
    rule.save()
    if occurrence is None:
        Occurrence.objects.create(recurrence=rule, index=0, post=post)
    changes = audit.diff(before, audit.snapshot(rule, RULE_FIELDS))
    audit.record(member.workspace, actor, "post.recurrence", post, changes)
    return rule


@transaction.atomic
def clear_recurrence(member: Member, actor: Actor, post_id: int) -> None:
    """Stop the series: posts already made stay as they are; no next occurrence is made."""
    member.require(Perm.CONTENT_EDIT)
    post = Post.objects.get(pk=post_id, workspace_id=member.workspace_id)
    occurrence = Occurrence.objects.filter(post=post).first()
    if occurrence is None:
        return
    rule = Recurrence.objects.select_for_update().get(pk=occurrence.recurrence_id)
    if not rule.active:
        return
    rule.active = False
    rule.save(update_fields=["active", "updated_at"])
    audit.record(member.workspace, actor, "post.recurrence_clear", post, {"active": [True, False]})


def recurrence_of(post: Post) -> tuple[Recurrence, int] | None:
    occurrence = Occurrence.objects.select_related("recurrence").filter(post=post).first()
    return (occurrence.recurrence, occurrence.index) if occurrence else None


def _acting_member(rule: Recurrence) -> Member:
    """The series acts with the rights of whoever set it up, while they can still write posts;
    otherwise with an owner's (a workspace always has one)."""
    members = Member.objects.select_related("workspace", "user").filter(workspace=rule.workspace)
    creator = members.filter(user_id=rule.created_by_id).first() if rule.created_by_id else None
    if creator is not None and creator.can(Perm.CONTENT_EDIT):
        return creator
    return members.filter(role=Role.OWNER).order_by("pk").first()  # type: ignore[return-value]


def _next_index(rule: Recurrence, after_index: int, now: datetime) -> int | None:
    index = after_index + 1
    for _skipped in range(MAX_SKIPPED):
        if rule.until and occurrence_date(rule, index) > rule.until:
            return None
        if occurrence_time(rule, index) > now + LEAD:
            return index
        index += 1
    return None


def upcoming(
    rule: Recurrence, after_index: int, limit: int = 3, now: datetime | None = None
) -> list[datetime]:
    """The next dates of the series after occurrence `after_index` (UTC), within its end."""
    if not rule.active:
        return []
    now = now or timezone.now()
    made = rule.occurrences.count()
    found: list[datetime] = []
    index: int | None = after_index
    while len(found) < limit and index is not None:
        index = _next_index(rule, index, now)
        if index is None or (rule.count is not None and made + len(found) >= rule.count):
            break
        found.append(occurrence_time(rule, index))
    return found


def _copy(source: Post) -> tuple[Post, list[Variant]]:
    post = Post.objects.create(
        workspace_id=source.workspace_id,
        title=source.title,
        text=source.text,
        campaign=source.campaign,
        tags=list(source.tags or []),
        notes=source.notes,
        author_id=source.author_id,
    )
    variants = []
    for old in source.variants.select_related("channel").order_by("id"):
        new = Variant.objects.create(
            post=post, channel=old.channel, text=old.text, options=dict(old.options or {})
        )
        VariantMedia.objects.bulk_create(
            VariantMedia(variant=new, asset_id=link.asset_id, position=link.position)
            for link in old.media_links.all()
        )
        variants.append(new)
    return post, variants


def _plan(member: Member, variants: list[Variant], when: datetime) -> dict[str, Any]:
    """Schedule the new variants, or where approval is required ask for it; a variant the checks
    refuse (a brand rule added since) stays planned as a draft, and the audit entry says why."""
    require_approval = workspace_settings.publishing_settings(member.workspace_id).require_approval
    outcome: dict[str, Any] = {}
    for variant in variants:
        scheduling.plan_variant(member, SERIES_ACTOR, variant.pk, when)
        try:
            if require_approval:
                approvals.submit_for_approval(
                    member,
                    SERIES_ACTOR,
                    variant.pk,
                    comment=_("The next time this recurring post goes out; please approve it."),
                )
            else:
                scheduling.schedule_variant(member, SERIES_ACTOR, variant.pk, when)
        except ValidationError as error:
            outcome[variant.channel.name] = " ".join(error.messages)
    return outcome


def create_next_occurrence(variant_id: int, *, now: datetime | None = None) -> Post | None:
    """The post for the series' next date after the one `variant_id` belongs to, made once: a
    second call (the signal delivered twice, or by each variant of the post) finds it made."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            return _create_next(variant_id, now)
    except IntegrityError:
        # Another worker made it between our check and our insert; theirs is the one.
        return None


def _create_next(variant_id: int, now: datetime) -> Post | None:
    occurrence = (
        Occurrence.objects.select_related("post").filter(post__variants__pk=variant_id).first()
    )
    if occurrence is None:
        return None
    rule = (
        Recurrence.objects.select_for_update()
        .select_related("workspace")
        .get(pk=occurrence.recurrence_id)
    )
    if not rule.active or rule.occurrences.filter(index__gt=occurrence.index).exists():
        return None
    if rule.count is not None and rule.occurrences.count() >= rule.count:
        return None
    index = _next_index(rule, occurrence.index, now)
    if index is None:
        return None
    member = _acting_member(rule)
    when = occurrence_time(rule, index)
    post, variants = _copy(occurrence.post)
    Occurrence.objects.create(recurrence=rule, index=index, post=post)
    refused = _plan(member, variants, when)
    audit.record(
        rule.workspace,
        SERIES_ACTOR,
        "post.occurrence",
        post,
        {
            "series": [None, rule.pk],
            "index": [occurrence.index, index],
            "from_post": [None, occurrence.post_id],
            "scheduled_at": [None, when.astimezone(UTC).isoformat()],
            **({"not_scheduled": [None, refused]} if refused else {}),
        },
    )
    return post


def on_variant_published(sender: Any, variant: Variant, **kwargs: Any) -> None:
    """Receiver of `signals.variant_published`. Publishing has already committed; a failure here is
    logged and must never reach the publisher."""
    try:
        create_next_occurrence(variant.pk)
    except Exception:
        logger.exception("could not make the next occurrence after variant %s", variant.pk)
