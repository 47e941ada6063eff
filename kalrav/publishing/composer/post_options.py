"""The settings a network declares for its posts (`NetworkRules.post_options`: Instagram's format,
Mastodon's visibility, who may reply on X…), as the composer shows them, the form and the API send
them, and `Variant.options` keeps them. Nothing here names a network: each connector declares its
own, and a key no declaration names is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from kalrav.connectors.base import NetworkRules, PostOption

# Keys every network takes beside its declared ones: the language the author chose (the
# publisher labels the post with it where the network labels posts).
GENERAL = frozenset({"language"})
TEXT_MAX = 2_000  # a text option without its own limit


def declared(rules: NetworkRules | None) -> tuple[PostOption, ...]:
    return rules.post_options if rules is not None else ()


def _choices(option: PostOption) -> str:
    return ", ".join(f"“{value}”" for value, _label in option.choices)


def clean_value(option: PostOption, value: Any) -> tuple[Any, str]:
    """(the value as stored, "") or (None, what is wrong); a stored None means "leave it out"."""
    if option.kind == "bool":
        if not isinstance(value, bool):
            return None, _("Say true or false.")
        return (True if value else None), ""
    if not isinstance(value, str):
        return None, _("Give text here.")
    if option.kind == "choice":
        if value not in {choice for choice, _label in option.choices}:
            return None, _("Choose one of: %(choices)s.") % {"choices": _choices(option)}
        return (value or None), ""
    limit = option.max_length or TEXT_MAX
    if len(value) > limit:
        return None, _("Keep this under %(max)d characters.") % {"max": limit}
    return (value.strip() or None), ""


def clean(
    options: Mapping[str, Any], rules: NetworkRules | None, errors: dict[str, list[str]]
) -> dict[str, Any]:
    """The declared options of `options` as stored (values left out when empty or false); each
    unknown key or bad value adds an error under its name. `rules` None checks nothing: a
    network Kalrav no longer knows keeps what it had."""
    if rules is None:
        return dict(options)
    by_name = {option.name: option for option in declared(rules)}
    kept: dict[str, Any] = {}
    for name, value in options.items():
        if name in GENERAL:
            kept[name] = value
            continue
        option = by_name.get(name)
        if option is None:
            offered = ", ".join(sorted(by_name)) or _("none")
            errors.setdefault(name, []).append(
                _("This network has no option called “%(name)s” (it has: %(offered)s).")
                % {"name": name, "offered": offered}
            )
            continue
        stored, problem = clean_value(option, value)
        if problem:
            errors.setdefault(name, []).append(problem)
        elif stored is not None:
            kept[name] = stored
    return kept


def from_form(data: Any, prefix: str, rules: NetworkRules | None) -> dict[str, Any]:
    """The declared options as one channel's section posts them (`<prefix>opt-<name>`), with
    None for each one the section offered and left empty (an unticked box sends nothing), so
    saving removes it."""
    if rules is None or not data.get(prefix + "opts"):
        return {}
    found: dict[str, Any] = {}
    for option in declared(rules):
        raw = data.get(prefix + "opt-" + option.name)
        if option.kind == "bool":
            found[option.name] = True if raw == "on" else None
        else:
            found[option.name] = raw if raw else None
    return found


def label(rules: NetworkRules | None, name: str) -> str | None:
    """The declared label of an option, for error lines; None when it is not declared."""
    for option in declared(rules):
        if option.name == name:
            return str(option.label)
    return None


def fields(rules: NetworkRules | None, options: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """What the composer shows for each declared option, with the value it has now."""
    shown = []
    for option in declared(rules):
        value = (options or {}).get(option.name)
        if value is None:  # not set, or left empty in the form being shown again
            value = option.default
        shown.append(
            {
                "name": option.name,
                "label": option.label,
                "kind": option.kind,
                "help": option.help_text,
                # Radios while they fit on a phone's line or two; a menu beyond.
                "widget": "radio" if len(option.choices) <= 3 else "select",
                "choices": [(str(choice), text) for choice, text in option.choices],
                "value": value if option.kind == "bool" else str(value or ""),
                "max_length": option.max_length or TEXT_MAX,
            }
        )
    return shown


def chosen(rules: NetworkRules | None, options: Mapping[str, Any] | None) -> list[dict[str, str]]:
    """The options set away from their default, as the preview names them ("Format: Reel")."""
    shown = []
    for option in declared(rules):
        value = (options or {}).get(option.name)
        if value in (None, "", False) or value == option.default:
            continue
        if option.kind == "choice":
            text = next((str(t) for c, t in option.choices if c == value), str(value))
        elif option.kind == "bool":
            text = _("yes")
        else:
            text = str(value)
        shown.append({"name": option.name, "label": str(option.label), "value": text})
    return shown


_TYPE_NAMES = {"image/jpeg": "JPEG", "video/quicktime": "MOV", "video/mp4": "MP4"}


def _seconds(value: float) -> str:
    if value >= 60 and value % 60 == 0:
        return _("%(count)d min") % {"count": value // 60}
    return _("%(count)s s") % {"count": f"{value:g}"}


def media_it_takes(rules: NetworkRules | None) -> list[str]:
    """The media these rules take, one line per kind ("Videos: at most 1 · MP4, MOV · 3 s to
    15 min · up to 300 MB"), so the writer sees the rules switch with the format chosen."""
    if rules is None:
        return []
    kinds = {"image": _("Photos"), "gif": _("GIFs"), "video": _("Videos")}
    lines = []
    for rule in rules.media.rules:
        if not rule.mime_types:
            continue
        parts = [
            _("%(kind)s: at most %(count)d")
            % {
                "kind": kinds.get(str(rule.kind), str(rule.kind)),
                "count": min(rule.max_count, rules.media.max_items),
            },
            ", ".join(
                sorted(_TYPE_NAMES.get(t, t.split("/")[-1].upper()) for t in rule.mime_types)
            ),
        ]
        if rule.min_duration or rule.max_duration:
            parts.append(
                _("%(min)s to %(max)s")
                % {
                    "min": _seconds(rule.min_duration or 0),
                    "max": _seconds(rule.max_duration) if rule.max_duration else "∞",
                }
            )
        if rule.max_bytes:
            parts.append(_("up to %(size)d MB") % {"size": rule.max_bytes // (1024 * 1024)})
        lines.append(" · ".join(parts))
    if rules.media_required:
        lines.append(_("A photo or video is needed."))
    return lines
