"""The composer's side of a variant's extras (thread, poll, first comment) and of the options its
network declares (post_options): what each channel's section offers, read from its network's
rules, and what the form posted. The rules about them are in variant_options, post_options and
variant_check."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from kalrav.channels.models import Channel
from kalrav.publishing.composer import post_options, variant_check, variant_options

MAX_POLL_BOXES = 10  # boxes shown for options; networks allowing more still take 10 from here


def row(channel: Channel, options: dict[str, Any] | None) -> dict[str, Any]:
    """What one channel's section of the composer offers, with the values it had."""
    rules, _label = variant_check.rules_for(channel.network)
    if rules is None:
        return {"extras": None}
    poll = variant_options.poll_of(options)
    boxes = min(rules.poll.max_options, MAX_POLL_BOXES) if rules.poll else 0
    values = list(poll.options) if poll else []
    return {
        "extras": {
            "threads": rules.threads,
            "first_comment_allowed": rules.first_comment,
            "poll_allowed": rules.poll is not None,
            "thread": variant_options.thread_of(options),
            "poll_options": values + [""] * max(boxes - len(values), 0),
            "poll_duration": int(poll.duration.total_seconds())
            if poll and poll.duration
            else variant_options.DEFAULT_POLL_DURATION,
            "poll_multiple": bool(poll and poll.multiple),
            "poll_durations": _durations(rules),
            "first_comment": variant_options.first_comment_of(options),
            "post_options": post_options.fields(rules, options),
            "any": rules.threads
            or rules.first_comment
            or rules.poll is not None
            or bool(rules.post_options),
        }
    }


def _durations(rules) -> list[int]:
    declared = rules.poll
    if declared is None:
        return []
    low = declared.min_duration.total_seconds() if declared.min_duration else 0
    high = declared.max_duration.total_seconds() if declared.max_duration else float("inf")
    return [s for s in variant_options.POLL_DURATIONS if low <= s <= high] or [
        int(declared.max_duration.total_seconds()) if declared.max_duration else 86400
    ]


def posted(data: Any) -> dict[int, dict[str, Any]]:
    """The extras each channel's section posted, by channel id, with the options its network
    declares (None for one left empty, which saving removes)."""
    ids = {
        int(key.split("-")[1])
        for key in data
        if key.startswith("extra-") and key.split("-")[1].isdigit()
    }
    # Only the network is read here; compose_post uses the extras of the post's own channels.
    networks = dict(Channel.objects.filter(pk__in=ids).values_list("pk", "network"))
    return {
        channel_id: variant_options.from_form(
            data, channel_id, variant_check.rules_for(networks.get(channel_id, ""))[0]
        )
        for channel_id in ids
    }


def for_check(data: Any, channel: Channel) -> dict[str, Any]:
    """The extras for the live check; a shape the check cannot read is left to the save, which
    says what is wrong with it."""
    if not variant_options.posted_for(data, channel.pk):
        return {}
    rules, _label = variant_check.rules_for(channel.network)
    try:
        extras = variant_options.clean(variant_options.from_form(data, channel.pk), None)
    except ValidationError:
        extras = {}
    # The declared options switch the rules the check applies (a story takes no caption); a
    # value the declaration does not take is left out here and refused by the save.
    chosen = variant_options.from_form(data, channel.pk, rules)
    posted = {k: v for k, v in chosen.items() if k not in variant_options.EXTRAS and v is not None}
    return {**extras, **post_options.clean(posted, rules, {})}
