"""`{{ channel.last_error|in_reader_language }}`: Kalrav's own words, stored as text, read back in
the reader's language.

A worker writes what went wrong (a channel's last error, a failed post or reply) in the
language it runs in, English by default, long before anyone reads it. Stored words that are one
of Kalrav's messages are translated when shown; anything else (a network's own words, a
message with details filled in) passes through as written.
"""

from __future__ import annotations

from django import template
from django.utils.translation import gettext

register = template.Library()


@register.filter
def in_reader_language(value: object) -> str:
    if not isinstance(value, str) or not value:
        return "" if value is None else str(value)
    return gettext(value)
