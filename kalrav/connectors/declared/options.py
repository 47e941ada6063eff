"""The settings a network declares for its posts (`NetworkRules.post_options`), kept apart from
base.py for its length; imported from there like the rest of the contract."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise


@dataclass(frozen=True)
class PostOption:
    """One setting a post may carry for its network, kept in `Variant.options[name]` and read by
    the connector from `OutgoingPost.options`. Declared in the network's rules (`post_options`),
    so the composer, the API and the check offer and validate it without knowing the network.

    kind "choice": one of `choices` (value, label), strings; "bool": true or false; "text": a
    string of at most `max_length` characters. A value equal to "" or False is not stored."""

    name: str
    label: str | Promise
    kind: str = "choice"  # "choice", "bool", "text"
    choices: tuple[tuple[str, str | Promise], ...] = ()
    default: str | bool = ""
    help_text: str | Promise = ""
    max_length: int | None = None
