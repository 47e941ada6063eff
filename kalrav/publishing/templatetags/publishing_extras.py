from __future__ import annotations

from django import template
from django.utils.translation import ngettext

register = template.Library()


@register.filter
def poll_duration(seconds: int | str) -> str:
    """A poll's duration as people say it: "1 day", "6 hours", "5 minutes"."""
    value = int(seconds)
    if value % 86400 == 0:
        days = value // 86400
        return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}
    if value % 3600 == 0:
        hours = value // 3600
        return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
    minutes = max(value // 60, 1)
    return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
