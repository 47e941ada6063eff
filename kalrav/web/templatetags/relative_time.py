"""`{{ when|ago }}`: how long ago something happened, for lists ("3 hours ago", "just now").

Django's `timesince` counts whole minutes, so the newest item would read "0 minutes ago";
below a minute (or a little in the future, from a network's clock running ahead) it is
"just now". Every "… ago" in Kalrav's pages goes through here.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

register = template.Library()

JUST_NOW = timedelta(minutes=1)


def is_just_now(value: datetime, now: datetime | None = None) -> bool:
    return (now or timezone.now()) - value < JUST_NOW


@register.filter
def ago(value: datetime | None) -> str:
    if not value:
        return ""
    now = timezone.now()
    if is_just_now(value, now):
        return _("just now")
    return _("%(ago)s ago") % {"ago": timesince(value, now)}


@register.filter
def just_now(value: datetime | None) -> bool:
    """For sentences that place the time inside them ("Last item 3 hours ago")."""
    return value is not None and is_just_now(value)
