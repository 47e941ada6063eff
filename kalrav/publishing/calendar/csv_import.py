"""Bulk import of posts from CSV. Each row is all or nothing (one transaction): it becomes a post with
its variants, planned (or scheduled) at its local date and time, or it is rejected with every reason
found, and the report lists each rejected row so the file can be fixed and sent again."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kalrav.channels.models import Channel
from kalrav.publishing import posts, scheduling, workspace_settings
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import Member
from kalrav.workspaces.permissions import Perm

MAX_ROWS = 1000
MAX_BYTES = 2 * 1024 * 1024
REQUIRED = ("text", "channels", "date")
KNOWN = ("title", "text", "channels", "date", "time", "campaign", "tags", "notes", "schedule")
YES = {"yes", "y", "true", "1", "schedule"}


@dataclass
class RowResult:
    line: int  # line number in the file, as a spreadsheet shows it (the header is line 1)
    title: str
    post_id: int | None = None
    errors: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    rows: list[RowResult] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)

    @property
    def created(self) -> list[RowResult]:
        return [r for r in self.rows if r.post_id is not None]

    @property
    def rejected(self) -> list[RowResult]:
        return [r for r in self.rows if r.post_id is None]


def _messages(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [m for messages in error.message_dict.values() for m in messages]
    return list(error.messages)


def _channel_lookup(member: Member) -> dict[str, Channel]:
    lookup: dict[str, Channel] = {}
    for channel in Channel.objects.filter(workspace_id=member.workspace_id):
        for key in (str(channel.pk), channel.name, channel.handle):
            if key:
                lookup.setdefault(key.strip().casefold(), channel)
    return lookup


def _parse_row(row: dict[str, str], lookup: dict[str, Channel], zone) -> tuple[dict, list[str]]:
    errors: list[str] = []
    for name in REQUIRED:
        if not (row.get(name) or "").strip():
            errors.append(_("The column “%(column)s” is empty.") % {"column": name})
    channels: list[Channel] = []
    for raw in (row.get("channels") or "").replace("|", ";").split(";"):
        name = raw.strip()
        if not name:
            continue
        found = lookup.get(name.casefold())
        if found is None:
            errors.append(_("No channel called “%(name)s” in this workspace.") % {"name": name})
        elif found not in channels:
            channels.append(found)
    when = None
    try:
        day = date.fromisoformat((row.get("date") or "").strip()) if row.get("date") else None
    except ValueError:
        errors.append(_("The date must look like 2025-03-31."))
        day = None
    try:
        at = time.fromisoformat((row.get("time") or "").strip() or "09:00")
    except ValueError:
        errors.append(_("The time must look like 09:30 (24-hour clock)."))
        at = None
    if day and at:
        when = datetime.combine(day, at, tzinfo=zone)
    parsed = {
        "title": (row.get("title") or "").strip(),
        "text": (row.get("text") or "").strip(),
        "campaign": (row.get("campaign") or "").strip(),
        "tags": (row.get("tags") or "").replace(";", ","),
        "notes": (row.get("notes") or "").strip(),
        "channel_ids": [c.pk for c in channels],
        "when": when,
        "schedule": (row.get("schedule") or "").strip().casefold() in YES,
    }
    return parsed, errors


def _import_row(member: Member, actor: Actor, parsed: dict) -> int:
    with transaction.atomic():
        when = parsed.pop("when")
        schedule = parsed.pop("schedule")
        post = posts.create_post(member, actor, **parsed)
        for variant in post.variants.all():
            if schedule:
                scheduling.schedule_variant(member, actor, variant.pk, when)
            else:
                scheduling.plan_variant(member, actor, variant.pk, when)
        return post.pk


def import_posts(member: Member, actor: Actor, data: bytes) -> ImportReport:
    if not member.can(Perm.CONTENT_EDIT):
        raise PermissionDenied(_("Your role does not allow this."))
    report = ImportReport()
    if len(data) > MAX_BYTES:
        report.file_errors.append(_("The file is larger than 2 MB; split it into several."))
        return report
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        report.file_errors.append(_("Save the file as CSV in UTF-8 and try again."))
        return report
    reader = csv.DictReader(io.StringIO(content))
    header = [h.strip().casefold() for h in (reader.fieldnames or [])]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        report.file_errors.append(
            _("The first line must name the columns; missing: %(columns)s.")
            % {"columns": ", ".join(missing)}
        )
        return report
    reader.fieldnames = header
    lookup = _channel_lookup(member)
    zone = workspace_settings.zone_of(member.workspace)
    for number, row in enumerate(reader, start=2):
        if number - 1 > MAX_ROWS:
            report.file_errors.append(_("Only the first %(n)d rows were read.") % {"n": MAX_ROWS})
            break
        row = {k: v for k, v in row.items() if k in KNOWN and isinstance(v, str)}
        if not any(v.strip() for v in row.values()):
            continue
        result = RowResult(line=number, title=(row.get("title") or row.get("text") or "")[:80])
        parsed, result.errors = _parse_row(row, lookup, zone)
        if parsed["schedule"] and parsed["when"] and parsed["when"] <= timezone.now():
            result.errors.append(_("This time has passed; choose a time in the future."))
        if not result.errors:
            try:
                result.post_id = _import_row(member, actor, parsed)
            except ValidationError as error:
                result.errors = _messages(error)
        report.rows.append(result)
    return report
