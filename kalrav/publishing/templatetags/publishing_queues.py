"""The queue and recurrence controls the post page includes beside its own schedule controls."""

from __future__ import annotations

from typing import Any

from django import template

from kalrav.publishing import states, workspace_settings
from kalrav.publishing.models import Post, Variant, VariantState
from kalrav.publishing.queues import best_time, recurrence
from kalrav.publishing.queues import services as queues
from kalrav.publishing.queues.forms import RecurrenceForm

register = template.Library()


@register.inclusion_tag("publishing/_queue_variant.html", takes_context=True)
def queue_controls(context: Any, variant: Variant) -> dict:
    workspace = context["workspace"]
    zone = workspace_settings.zone_of(workspace)
    slots = queues.slots_of(variant.channel_id)
    best = best_time.suggest(variant.channel_id, zone)
    free = queues.free_slots(
        variant.channel_id, zone, exclude_variant=variant.pk, limit=best_time.LOOKAHEAD, slots=slots
    )
    return {
        "workspace": workspace,
        "can": context["can"],
        "csrf_token": context.get("csrf_token"),
        "variant": variant,
        "has_slots": bool(slots),
        "next_free": free[0] if free else None,
        # "Add to queue" keeps the queue's order (the next free slot); a free slot in one of the
        # channel's best hours is offered first, as its own button.
        "best_slot": best_time.best_slot(best_time.mark_slots(free, best, zone), best),
        "best": best,
        "zone": zone,
    }


@register.inclusion_tag("publishing/_post_planning.html", takes_context=True)
def post_planning(context: Any, post: Post) -> dict:
    request = context["request"]
    found = recurrence.recurrence_of(post)
    rule, index = found if found else (None, None)
    typed = {k.removeprefix("r-"): v for k, v in request.GET.items() if k.startswith("r-")}
    if typed:
        form = RecurrenceForm(initial=typed)
    elif rule is not None:
        form = RecurrenceForm(
            initial={
                "frequency": rule.frequency,
                "interval": rule.interval,
                "day_of_month": rule.day_of_month,
                "starts_on": rule.anchor_date,
                "at": rule.local_time,
                "until": rule.until,
                "count": rule.count,
            }
        )
    else:
        form = RecurrenceForm(initial={"frequency": "weekly", "interval": 1})
    queueable = post.variants.filter(state__in=states.EDITABLE).exclude(
        state=VariantState.SCHEDULED
    )
    return {
        "workspace": context["workspace"],
        "can": context["can"],
        "csrf_token": context.get("csrf_token"),
        "post": post,
        "rule": rule,
        "description": recurrence.describe(rule) if rule else "",
        "next_dates": recurrence.upcoming(rule, index)
        if rule is not None and index is not None
        else [],
        "form": form,
        "can_queue": queueable.exists(),
        "zone": workspace_settings.zone_of(post.workspace),
    }
