"""The calendar as CSV (for spreadsheets, in the workspace's time zone with UTC beside it) and as
iCalendar (RFC 5545, written here: every time in UTC, lines folded at 75 octets, CRLF endings)."""

from __future__ import annotations

import csv
import io
import zoneinfo
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from kalrav.publishing.models import Variant

CSV_COLUMNS = (
    "post_id", "variant_id", "title", "channel", "network", "state", "date", "time",
    "time_zone", "scheduled_at_utc", "campaign", "tags", "text", "remote_url",
)  # fmt: skip

EVENT_LENGTH = timedelta(minutes=15)  # a post is a moment; calendars need an end


def _csv_safe(value: str) -> str:
    # A cell starting with = + - @ is run as a formula by spreadsheets; quote it as text.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def to_csv(variants: Iterable[Variant], zone: zoneinfo.ZoneInfo) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for v in variants:
        local = v.scheduled_at.astimezone(zone) if v.scheduled_at else None
        writer.writerow(
            [
                v.post_id,
                v.pk,
                _csv_safe(v.post.title),
                _csv_safe(v.channel.name),
                v.channel.network,
                v.state,
                local.date().isoformat() if local else "",
                local.strftime("%H:%M") if local else "",
                str(zone),
                v.scheduled_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                if v.scheduled_at
                else "",
                _csv_safe(v.post.campaign),
                _csv_safe(", ".join(v.post.tags)),
                _csv_safe(v.text),
                v.remote_url,
            ]
        )
    return out.getvalue()


def ics_text(value: str) -> str:
    """Escape a TEXT value (RFC 5545 §3.3.11)."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str) -> str:
    """Fold a content line into pieces of at most 75 octets, never inside a UTF-8 character."""
    pieces: list[str] = []
    current, size, limit = "", 0, 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            pieces.append(current)
            current, size, limit = "", 0, 74  # continuation lines start with one space
        current += char
        size += width
    pieces.append(current)
    return "\r\n ".join(pieces)


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def to_ics(variants: Iterable[Variant], calendar_name: str, now: datetime) -> str:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Kalrav//Publishing calendar//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{ics_text(calendar_name)}",
    ]
    for v in variants:
        if v.scheduled_at is None:
            continue
        summary = f"[{v.channel.name}] {v.post.title or v.text[:60]}"
        lines += [
            "BEGIN:VEVENT",
            f"UID:{v.idempotency_key}@kalrav",
            f"DTSTAMP:{_utc(now)}",
            f"DTSTART:{_utc(v.scheduled_at)}",
            f"DTEND:{_utc(v.scheduled_at + EVENT_LENGTH)}",
            f"SUMMARY:{ics_text(summary)}",
            f"DESCRIPTION:{ics_text(v.text)}",
            f"CATEGORIES:{ics_text(v.channel.network)}",
            f"STATUS:{'CONFIRMED' if v.state in ('scheduled', 'published') else 'TENTATIVE'}",
        ]
        if v.remote_url:
            lines.append(f"URL:{v.remote_url}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
