"""Putting variants on the schedule and taking them off: at a time, now ("publish now"), on
another day of the calendar, or as a plan without a commitment.

A variant is scheduled only while the network's and the brand's rules accept it and, where the
workspace requires approval, with an approval. Once scheduled, a variant due within minutes is
handed to the delivery at once (delivery/sweep.py); later ones are found when they are due.
"""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kalrav.publishing import states
from kalrav.publishing.composer import variant_check
from kalrav.publishing.delivery import quota, sweep
from kalrav.publishing.models import Variant, VariantState
from kalrav.publishing.posts import locked_post, locked_variant
from kalrav.publishing.workspace_settings import brand_of, publishing_settings, zone_of
from kalrav.workspaces import audit
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import Member
from kalrav.workspaces.permissions import Perm


def check(variant: Variant) -> variant_check.VariantCheck:
    return variant_check.check_variant(
        variant.text,
        variant.channel.network,
        variant.ordered_media(),
        brand_of(variant.post.workspace_id),
        variant.options,
    )


def _check_schedulable(member: Member, variant: Variant, when: datetime) -> None:
    if timezone.is_naive(when):
        raise ValueError("scheduled times must be aware")
    if when <= timezone.now():
        raise ValidationError({"scheduled_at": _("Choose a time in the future.")})
    setup = publishing_settings(member.workspace_id)
    if setup.require_approval and variant.approved_at is None:
        raise ValidationError(
            _("This workspace requires approval: %(channel)s's variant is not approved yet.")
            % {"channel": variant.channel.name}
        )
    report = check(variant)
    if not report.valid:
        raise ValidationError(
            [
                _("%(channel)s: %(problem)s")
                % {"channel": variant.channel.name, "problem": problem.message}
                for problem in report.problems
            ]
        )
    refused = quota.quota_problem(variant, when)
    if refused:
        raise ValidationError({"scheduled_at": refused})


@transaction.atomic
def schedule_variant(member: Member, actor: Actor, variant_id: int, when: datetime) -> Variant:
    """Commit a variant to be published at `when` (aware). Refused while the network or the brand
    would object to it, and without approval where the workspace requires one."""
    member.require(Perm.CONTENT_EDIT)
    return schedule_locked(member, actor, locked_variant(member, variant_id), when)


def schedule_locked(member: Member, actor: Actor, variant: Variant, when: datetime) -> Variant:
    """Schedule a variant the caller has locked (select_for_update) in this transaction; the same
    checks as `schedule_variant`, without asking again for the right to edit content."""
    _check_schedulable(member, variant, when)
    return _put_on_schedule(member, actor, variant, when, "variant.schedule")


def _put_on_schedule(
    member: Member, actor: Actor, variant: Variant, when: datetime, action: str
) -> Variant:
    """Scheduled at `when`, its error cleared, its task queued after commit, and audited."""
    before_time = variant.scheduled_at
    before = variant.state
    if variant.state != VariantState.SCHEDULED:
        states.change(variant, VariantState.SCHEDULED)
    variant.scheduled_at = when
    variant.last_error = ""
    variant.save()
    _enqueue_on_commit(variant)
    audit.record(
        member.workspace,
        actor,
        action,
        variant,
        audit.diff(
            {"state": before, "scheduled_at": before_time and before_time.isoformat()},
            {"state": variant.state, "scheduled_at": when.isoformat()},
        ),
    )
    return variant


def _enqueue_on_commit(variant: Variant) -> None:
    # A variant due within minutes gets its publishing task now, with an eta, so it goes out on
    # time instead of waiting for the next sweep; the sweep is the backstop either way.
    transaction.on_commit(lambda: sweep.enqueue_if_soon(variant))


@transaction.atomic
def publish_now(member: Member, actor: Actor, variant_id: int) -> Variant:
    """The "publish now" button: the same checks as scheduling (approval, the network's and the
    brand's rules), then due at once. A failed variant may be sent again this way."""
    member.require(Perm.CONTENT_PUBLISH)
    variant = locked_variant(member, variant_id)
    if variant.state not in (
        VariantState.DRAFT,
        VariantState.APPROVED,
        VariantState.SCHEDULED,
        VariantState.FAILED,
    ):
        raise ValidationError(
            _("A variant that is “%(state)s” cannot be published now.")
            % {"state": variant.get_state_display()}
        )
    now = timezone.now()
    # Checked as if scheduled a moment ahead: "now" is never in the future by the time it runs.
    _check_schedulable(member, variant, now + timedelta(seconds=1))
    return _put_on_schedule(member, actor, variant, now, "variant.publish_now")


@transaction.atomic
def unschedule_variant(member: Member, actor: Actor, variant_id: int) -> Variant:
    """Take a variant off the schedule; its planned time stays on the calendar, and an approval it
    had still holds."""
    member.require(Perm.CONTENT_EDIT)
    variant = locked_variant(member, variant_id)
    if variant.state != VariantState.SCHEDULED:
        return variant
    target = VariantState.APPROVED if variant.approved_at else VariantState.DRAFT
    before = states.change(variant, target)
    variant.save()
    audit.record(
        member.workspace, actor, "variant.unschedule", variant, {"state": [before, variant.state]}
    )
    return variant


@transaction.atomic
def schedule_post(member: Member, actor: Actor, post_id: int, when: datetime) -> list[Variant]:
    """Schedule every variant of a post at one time: all of them, or none if one is refused."""
    post = locked_post(member, post_id)
    variants = list(post.variants.exclude(state__in=[VariantState.PUBLISHED]).order_by("id"))
    if not variants:
        raise ValidationError(_("Choose at least one channel for this post first."))
    return [schedule_variant(member, actor, v.pk, when) for v in variants]


def keep_time_on(moment: datetime, day: date, zone: zoneinfo.ZoneInfo) -> datetime:
    """`moment` moved to `day` at the same wall-clock time in `zone`, as UTC; across a
    daylight-saving change the UTC offset changes and the local time does not."""
    local = moment.astimezone(zone)
    moved = datetime.combine(day, local.time().replace(tzinfo=None), tzinfo=zone)
    # A wall time that does not exist on that day (the hour skipped in spring) is normalised by
    # a round trip through UTC, as clocks do.
    return moved.astimezone(zoneinfo.ZoneInfo("UTC"))


DEFAULT_TIME = time(9, 0)


@transaction.atomic
def move_variant(member: Member, actor: Actor, variant_id: int, day: date) -> Variant:
    """Drag on the calendar: the same time of day (in the workspace's zone) on another day."""
    member.require(Perm.CONTENT_EDIT)
    variant = locked_variant(member, variant_id)
    if variant.state not in states.EDITABLE:
        raise ValidationError(_("This variant is published or being published; it cannot move."))
    zone = zone_of(member.workspace)
    if variant.scheduled_at is None:
        when = datetime.combine(day, DEFAULT_TIME, tzinfo=zone).astimezone(zoneinfo.ZoneInfo("UTC"))
    else:
        when = keep_time_on(variant.scheduled_at, day, zone)
    if variant.state == VariantState.SCHEDULED and when <= timezone.now():
        raise ValidationError({"scheduled_at": _("Choose a time in the future.")})
    before = variant.scheduled_at
    variant.scheduled_at = when
    variant.save()
    audit.record(
        member.workspace,
        actor,
        "variant.move",
        variant,
        {"scheduled_at": [before and before.isoformat(), when.isoformat()]},
    )
    return variant


@transaction.atomic
def plan_variant(member: Member, actor: Actor, variant_id: int, when: datetime | None) -> Variant:
    """Put a time on a variant that is not scheduled yet, so it shows on the calendar."""
    member.require(Perm.CONTENT_EDIT)
    variant = locked_variant(member, variant_id)
    if variant.state == VariantState.SCHEDULED:
        if when is None:
            raise ValidationError(_("Take the variant off the schedule first."))
        return schedule_variant(member, actor, variant_id, when)
    if variant.state not in states.EDITABLE:
        raise ValidationError(_("This variant is published or being published; it cannot move."))
    before = variant.scheduled_at
    variant.scheduled_at = when
    variant.save()
    audit.record(
        member.workspace,
        actor,
        "variant.move",
        variant,
        {"scheduled_at": [before and before.isoformat(), when and when.isoformat()]},
    )
    return variant


@transaction.atomic
def move_post(
    member: Member, actor: Actor, variant_id: int, day: date
) -> list[tuple[Variant, datetime | None]]:
    """Drag on the calendar moves the whole post: the dragged variant to `day`, and every other
    variant of its post that is on the calendar by the same number of days, each keeping its own
    time of day. All of them or none (one refused, say in the past, keeps the others where they
    were). Each moved variant comes back with the time it had, so the move can be undone."""
    member.require(Perm.CONTENT_EDIT)
    dragged = locked_variant(member, variant_id)
    plan: list[tuple[int, date, datetime | None]] = [(dragged.pk, day, dragged.scheduled_at)]
    if dragged.scheduled_at is not None:
        zone = zone_of(member.workspace)
        shift = day - dragged.scheduled_at.astimezone(zone).date()
        siblings = (
            Variant.objects.select_for_update()
            .filter(post_id=dragged.post_id, state__in=states.EDITABLE)
            .exclude(pk=dragged.pk)
            .exclude(scheduled_at=None)
            .order_by("id")
        )
        plan += [
            (v.pk, v.scheduled_at.astimezone(zone).date() + shift, v.scheduled_at)
            for v in siblings
            if v.scheduled_at is not None
        ]
    moved = [(move_variant(member, actor, pk, target), before) for pk, target, before in plan]
    return moved


@transaction.atomic
def restore_times(member: Member, actor: Actor, times: dict[int, datetime | None]) -> list[Variant]:
    """Undo of a move: each variant back at the time it had, through the same path as planning or
    scheduling it by hand (a scheduled variant is checked again, and put back on the schedule)."""
    member.require(Perm.CONTENT_EDIT)
    return [plan_variant(member, actor, pk, when) for pk, when in sorted(times.items())]
