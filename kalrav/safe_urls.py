"""Links that came from a network or a helpdesk are shown only when they are web addresses.

A hostile server can answer with `javascript:` or `data:` where a post or profile address
belongs; a page that turns it into a link runs it on a click. Addresses are checked when they
arrive (the connectors' dataclasses) and again when a page renders them (the `safe_url`
filter), so a row stored before the check, or written by a path that skipped it, is still safe.
"""

from __future__ import annotations

from urllib.parse import urlsplit

WEB_SCHEMES = frozenset({"http", "https"})


def web_url(value: object) -> str:
    """`value` when it is an http(s) address with a host, else ""."""
    if not isinstance(value, str):
        return ""
    text = value.strip()
    # Browsers drop tabs and newlines inside a scheme ("java\tscript:"); refuse every control
    # character rather than guess how a given browser reads it.
    if not text or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in text):
        return ""
    try:
        parts = urlsplit(text)
    except ValueError:
        return ""
    if parts.scheme.lower() not in WEB_SCHEMES or not parts.hostname:
        return ""
    return text
