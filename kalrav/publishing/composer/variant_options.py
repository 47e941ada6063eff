"""A variant's extras beyond its text and media, kept in `Variant.options`:

    {"thread": ["second post", "third post"],
     "poll": {"options": ["Yes", "No"], "duration": 86400, "multiple": false},
     "first_comment": "Link in the first comment: https://…"}

`clean` refuses a shape Kalrav cannot send (and an extra the channel's network does not take)
with an error per field; length, option counts and durations are the network's rules, which the
check reports like the main text's (a draft may break them, a schedule may not). Other keys
(format, visibility…) are the settings the network's connector declares (post_options), checked
there; a key no declaration names is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import regex
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kalrav.connectors import catalogue, registry
from kalrav.connectors.base import NetworkRules, OutgoingPost, Poll
from kalrav.publishing.composer import post_options

EXTRAS = ("thread", "poll", "first_comment")
MAX_THREAD_PARTS = 25  # more than any network shows as one thread; a guard against runaway input
MAX_POLL_OPTIONS = 20
MAX_EXTRA_LENGTH = 20_000  # characters per part; the network's own limit is far lower
# Durations the composer offers, in seconds; the API may send any whole number of seconds.
POLL_DURATIONS = (300, 1800, 3600, 6 * 3600, 86400, 3 * 86400, 7 * 86400)
DEFAULT_POLL_DURATION = 86400
_INDEXED = regex.compile(r"^(?P<name>[a-z_.]+)\[(?P<index>\d+)\]$")


def thread_of(options: Mapping[str, Any] | None) -> list[str]:
    return [str(part) for part in (options or {}).get("thread") or []]


def poll_of(options: Mapping[str, Any] | None) -> Poll | None:
    found = (options or {}).get("poll")
    if not found:
        return None
    duration = found.get("duration")
    return Poll(
        options=tuple(str(option) for option in found.get("options") or ()),
        duration=timedelta(seconds=int(duration)) if duration else None,
        multiple=bool(found.get("multiple")),
    )


def first_comment_of(options: Mapping[str, Any] | None) -> str:
    return str((options or {}).get("first_comment") or "")


def outgoing_extras(options: Mapping[str, Any] | None) -> dict[str, Any]:
    """Keyword arguments for OutgoingPost: the thread as posts, the poll, the first comment, and
    the remaining options for the connector. What the publisher passes on."""
    rest = {k: v for k, v in (options or {}).items() if k not in EXTRAS}
    return {
        "thread": tuple(OutgoingPost(text=part) for part in thread_of(options)),
        "poll": poll_of(options),
        "first_comment": first_comment_of(options),
        "options": rest,
    }


def _clean_text(value: Any, field: str, errors: dict[str, list[str]]) -> str | None:
    if not isinstance(value, str):
        errors.setdefault(field, []).append(_("Give text here."))
        return None
    if len(value) > MAX_EXTRA_LENGTH:
        errors.setdefault(field, []).append(
            _("Keep this under %(max)d characters.") % {"max": MAX_EXTRA_LENGTH}
        )
        return None
    return value


def _clean_thread(value: Any, rules: NetworkRules | None, errors: dict) -> list[str]:
    if not isinstance(value, list | tuple):
        errors["thread"] = [_("Give the thread as a list of texts, one per post.")]
        return []
    if rules is not None and value and not rules.threads:
        errors["thread"] = [_("This network does not take threads.")]
        return []
    if len(value) > MAX_THREAD_PARTS:
        errors["thread"] = [
            _("A thread may have at most %(max)d more posts.") % {"max": MAX_THREAD_PARTS}
        ]
        return []
    parts = []
    for number, part in enumerate(value, start=2):
        text = _clean_text(part, f"thread[{number}]", errors)
        if text is not None and text.strip():
            parts.append(text.strip())
    return parts


def _clean_poll(value: Any, rules: NetworkRules | None, errors: dict) -> dict | None:
    if value is None or value == {}:
        return None
    if not isinstance(value, Mapping):
        errors["poll"] = [_("Give the poll as options, duration and multiple.")]
        return None
    if rules is not None and rules.poll is None:
        errors["poll"] = [_("This network has no polls.")]
        return None
    unknown = set(value) - {"options", "duration", "multiple"}
    if unknown:
        errors["poll"] = [
            _("A poll has no field called %(names)s.") % {"names": ", ".join(sorted(unknown))}
        ]
        return None
    raw = value.get("options") or []
    if not isinstance(raw, list | tuple) or len(raw) > MAX_POLL_OPTIONS:
        errors["poll.options"] = [
            _("Give up to %(max)d options as a list of texts.") % {"max": MAX_POLL_OPTIONS}
        ]
        return None
    options = []
    for index, option in enumerate(raw):
        text = _clean_text(option, f"poll.options[{index}]", errors)
        if text is not None:
            options.append(text.strip())
    while options and not options[-1]:
        options.pop()  # the composer's empty trailing boxes are not options
    if not options:
        return None
    duration = value.get("duration", DEFAULT_POLL_DURATION)
    if duration in (None, ""):
        duration = DEFAULT_POLL_DURATION
    try:
        seconds = int(duration)
    except (TypeError, ValueError):
        seconds = 0
    if seconds <= 0 or isinstance(duration, bool):
        errors["poll.duration"] = [_("Give the poll's duration in seconds, more than zero.")]
        return None
    multiple = value.get("multiple", False)
    if not isinstance(multiple, bool):
        errors["poll.multiple"] = [_("Say true or false.")]
        return None
    return {"options": options, "duration": seconds, "multiple": multiple}


def clean(options: Any, rules: NetworkRules | None) -> dict[str, Any]:
    """The options as stored, or a ValidationError naming each field Kalrav cannot take.
    `rules` None (a network Kalrav no longer knows) checks the shape only."""
    if not isinstance(options, Mapping):
        raise ValidationError({"options": _("Give options as names and values.")})
    errors: dict[str, list[str]] = {}
    rest = {k: v for k, v in options.items() if k not in EXTRAS}
    cleaned = post_options.clean(rest, rules, errors)
    thread = _clean_thread(options.get("thread") or [], rules, errors)
    if thread:
        cleaned["thread"] = thread
    poll = _clean_poll(options.get("poll"), rules, errors)
    if poll:
        cleaned["poll"] = poll
    comment = _clean_text(options.get("first_comment") or "", "first_comment", errors)
    if comment and comment.strip():
        if rules is not None and not rules.first_comment:
            errors["first_comment"] = [_("This network has no first comment.")]
        else:
            cleaned["first_comment"] = comment.strip()
    if errors:
        raise ValidationError(errors)
    return cleaned


def merged(current: Mapping[str, Any] | None, **extras: Any) -> dict[str, Any]:
    """`current` with the extras given (None: keep what is there) replaced, for the API's
    `thread`, `poll` and `first_comment` fields; a declared option given None (the composer
    offered it and it was left empty) is removed."""
    result = dict(current or {})
    for name, value in extras.items():
        if name in EXTRAS:
            if value is not None:
                result[name] = value
        elif value is None:
            result.pop(name, None)
        else:
            result[name] = value
    return result


def from_form(data: Any, channel_id: int, rules: NetworkRules | None = None) -> dict[str, Any]:
    """The extras as the composer posts them for one channel (a QueryDict), with the options
    its network declares when `rules` are given."""
    prefix = f"extra-{channel_id}-"
    options: dict[str, Any] = post_options.from_form(data, prefix, rules)
    thread = [part for part in data.getlist(prefix + "thread") if part.strip()]
    options["thread"] = thread
    poll_options = data.getlist(prefix + "poll-option")
    if any(option.strip() for option in poll_options):
        options["poll"] = {
            "options": [option for option in poll_options if option.strip()],
            "duration": data.get(prefix + "poll-duration") or DEFAULT_POLL_DURATION,
            "multiple": data.get(prefix + "poll-multiple") == "on",
        }
    options["first_comment"] = data.get(prefix + "first-comment", "")
    return options


def field_label(name: str) -> str:
    """A field of the options as a writer would name it ("thread[3]" is "post 3 of the thread")."""
    match = _INDEXED.match(name)
    if match and match["name"] == "thread":
        return _("post %(number)s of the thread") % {"number": match["index"]}
    if match and match["name"] == "poll.options":
        return _("poll option %(number)d") % {"number": int(match["index"]) + 1}
    return {
        "thread": _("thread"),
        "poll": _("poll"),
        "poll.options": _("poll options"),
        "poll.duration": _("poll duration"),
        "poll.multiple": _("several answers"),
        "first_comment": _("first comment"),
    }.get(name, name)


def explain(channel: Any, error: ValidationError) -> list[str]:
    """An options error as lines for the composer: the channel, the field, what is wrong."""
    if not hasattr(error, "error_dict"):
        return [f"{channel.name}: {message}" for message in error.messages]
    try:
        rules: NetworkRules | None = catalogue.network(channel.network).rules
    except registry.UnknownNetwork:
        rules = None
    return [
        f"{channel.name}, {post_options.label(rules, field) or field_label(field)}: {message}"
        for field, messages in error.message_dict.items()
        for message in messages
    ]


def posted_for(data: Any, channel_id: int) -> bool:
    """Whether the composer sent extras for this channel (it does only where they are offered)."""
    prefix = f"extra-{channel_id}-"
    return any(key.startswith(prefix) for key in data)
