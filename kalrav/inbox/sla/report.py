"""The response-time report: first response and resolution times (median, p90) and the share
within target, by team, member (the assignee), network and ISO week, over a date range.

Times are measured when the answer or resolution happens (kalrav.inbox.sla.targets) and stored on the
conversation in business minutes (what targets count, on the conversation's calendar) and
wall-clock minutes. The report reads the conversations in range once, eight numbers each (the
database compares the deadlines and finds the week, so no date reaches Python), into numpy
arrays, and computes every group of every dimension from them: one scan instead of one grouped
query per dimension and duration, each re-reading the whole range (200,000 conversations: 9 s on
SQLite and 6 s on PostgreSQL before, 0.3-0.5 s of CPU now; see bench/sla_report.py). The same
SQL runs on SQLite and PostgreSQL; memory is about 130 bytes per conversation while it runs.
Percentiles are nearest-rank, to the whole minute (rounded down).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from django.contrib.auth import get_user_model
from django.db import connections
from django.db.models import Case, ExpressionWrapper, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from kalrav.channels.models import Channel
from kalrav.channels.services import networks
from kalrav.inbox.models import Conversation, ConversationState, Team
from kalrav.workspaces.models import Workspace

DEFAULT_DAYS = 28
MAX_DAYS = 366
DIMENSIONS = ("team", "member", "network", "week")
# (metric, stored field); "business" is what the targets count.
DURATIONS = (
    ("first_business", "first_response_business_minutes"),
    ("first_wall", "first_response_wall_minutes"),
    ("resolution_business", "resolution_business_minutes"),
    ("resolution_wall", "resolution_wall_minutes"),
)
# Rows read per round trip: numpy arrays grow a chunk at a time, so a year of conversations
# never sits in memory as Python tuples.
CHUNK = 20_000


@dataclass
class Figures:
    key: str
    label: str
    received: int = 0
    answered: int = 0
    first_within: int = 0
    first_missed: int = 0
    resolved: int = 0
    resolution_within: int = 0
    resolution_missed: int = 0
    # metric -> {"median": minutes, "p90": minutes}
    times: dict[str, dict[str, int | None]] = field(default_factory=dict)

    @property
    def first_share(self) -> float | None:
        judged = self.first_within + self.first_missed
        return self.first_within / judged if judged else None

    @property
    def resolution_share(self) -> float | None:
        judged = self.resolution_within + self.resolution_missed
        return self.resolution_within / judged if judged else None

    def time(self, metric: str, which: str) -> int | None:
        return self.times.get(metric, {}).get(which)


@dataclass
class Report:
    start: date
    end: date  # inclusive
    time_zone: str
    overall: Figures
    groups: dict[str, list[Figures]]


def default_range(zone: str, today: date | None = None) -> tuple[date, date]:
    today = today or timezone.localtime(timezone=ZoneInfo(zone)).date()
    return today - timedelta(days=DEFAULT_DAYS - 1), today


def percentile(histogram: Iterable[tuple[int, int]], share: float) -> int | None:
    """Nearest-rank percentile of a histogram of (value, count) pairs."""
    pairs = sorted((value, count) for value, count in histogram if count)
    total = sum(count for _value, count in pairs)
    if not total:
        return None
    rank = max(1, math.ceil(share * total))
    seen = 0
    for value, count in pairs:
        seen += count
        if seen >= rank:
            return value
    return pairs[-1][0]


def _weeks(start: date, end: date, zone: ZoneInfo) -> tuple[Case, list[str]]:
    """The ISO week of `received_at` as an index into the returned labels, by plain comparisons
    with the weeks' first moments in the workspace's zone: SQLite would otherwise convert every
    row's time zone in Python (TruncWeek), and no date has to be read into Python. The last
    label, "", is for after the last week, which the date range rules out."""
    monday = start - timedelta(days=start.weekday())
    whens: list[When] = []
    labels: list[str] = []
    while monday <= end:
        following = monday + timedelta(days=7)
        whens.append(
            When(
                received_at__lt=datetime.combine(following, time(0), tzinfo=zone),
                then=Value(len(labels)),
            )
        )
        labels.append(monday.strftime("%G-W%V"))
        monday = following
    return Case(*whens, default=Value(len(labels)), output_field=IntegerField()), [*labels, ""]


# How a conversation stands against one target, as one small number the database computes:
# 3 × done + judgement (0 not judged, 1 within target, 2 missed: done late, or not done and
# already past due). A deadline of NULL judges nothing, as in SQL comparisons.
NOT_DONE, NOT_DONE_MISSED, DONE, DONE_WITHIN, DONE_MISSED = 0, 2, 3, 4, 5


def _standing(done: str, due: str, now: datetime) -> Case:
    return Case(
        When(Q(**{f"{done}__isnull": True, f"{due}__lt": now}), then=Value(NOT_DONE_MISSED)),
        When(Q(**{f"{done}__isnull": True}), then=Value(NOT_DONE)),
        When(Q(**{f"{done}__lte": F(due)}), then=Value(DONE_WITHIN)),
        When(Q(**{f"{done}__gt": F(due)}), then=Value(DONE_MISSED)),
        default=Value(DONE),
        output_field=IntegerField(),
    )


@dataclass
class _Table:
    """The conversations in range, one array element each."""

    team: np.ndarray  # id, 0 for none
    member: np.ndarray
    channel: np.ndarray
    week: np.ndarray  # index into the week labels
    first: np.ndarray  # standing
    resolution: np.ndarray
    durations: list[np.ndarray]  # minutes as stored, NaN for none; in DURATIONS' order


def _read(rows: QuerySet, weeks: Case, now: datetime) -> _Table:
    """Reads eight numbers per conversation with a plain cursor: turning values into Python
    objects is most of the cost, so the week and both standings travel as one number and
    Django's per-value converters are skipped."""
    columns = (
        rows.annotate(
            report_team=Coalesce("team_id", 0),
            report_member=Coalesce("assignee_id", 0),
            report_packed=ExpressionWrapper(
                weeks * 64
                + _standing("first_response_at", "first_response_due", now) * 8
                + _standing("resolved_at", "resolution_due", now),
                output_field=IntegerField(),
            ),
        )
        .values_list(
            "report_team",
            "report_member",
            "channel_id",
            "report_packed",
            *(stored for _metric, stored in DURATIONS),
        )
        .order_by()
    )
    sql, params = columns.query.sql_with_params()
    parts = [np.empty((0, 4 + len(DURATIONS)))]
    with connections[columns.db].cursor() as cursor:
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(CHUNK):
            parts.append(np.array(chunk, dtype=np.float64))  # None becomes NaN
    table = np.concatenate(parts)
    packed = table[:, 3].astype(np.int64)
    return _Table(
        team=table[:, 0].astype(np.int64),
        member=table[:, 1].astype(np.int64),
        channel=table[:, 2].astype(np.int64),
        week=packed // 64,
        first=(packed // 8) % 8,
        resolution=packed % 8,
        durations=[np.ascontiguousarray(table[:, 4 + i]) for i in range(len(DURATIONS))],
    )


@dataclass
class _Sorted:
    """One duration's measured values, whole minutes ascending, and the row each came from."""

    minutes: np.ndarray
    rows: np.ndarray

    @classmethod
    def of(cls, values: np.ndarray) -> _Sorted:
        rows = np.flatnonzero(~np.isnan(values))
        minutes = np.floor(values[rows]).astype(np.int64)
        order = np.argsort(minutes)
        return cls(minutes[order], rows[order])


def _figures_by_group(
    codes: np.ndarray, keys: list[str], table: _Table, durations: list[_Sorted]
) -> list[Figures]:
    """Counts and percentiles of every group with conversations; `codes` holds each row's
    group, an index into `keys`."""
    size = len(keys)

    def count(selected: np.ndarray) -> np.ndarray:
        return np.bincount(codes[selected], minlength=size)

    first, resolution = table.first, table.resolution
    counts = {
        "received": np.bincount(codes, minlength=size),
        "answered": count(first >= DONE),
        "first_within": count(first == DONE_WITHIN),
        "first_missed": count((first == NOT_DONE_MISSED) | (first == DONE_MISSED)),
        "resolved": count(resolution >= DONE),
        "resolution_within": count(resolution == DONE_WITHIN),
        "resolution_missed": count((resolution == NOT_DONE_MISSED) | (resolution == DONE_MISSED)),
    }
    found: dict[int, Figures] = {}
    for i in np.flatnonzero(counts["received"]):
        found[int(i)] = item = Figures(keys[i], keys[i])
        for name, values in counts.items():
            setattr(item, name, int(values[i]))
    for (metric, _stored), measured in zip(DURATIONS, durations, strict=True):
        groups = codes[measured.rows]
        # A stable sort by group keeps each group's minutes ascending, side by side (a radix
        # sort when the codes fit 16 bits).
        narrow = groups.astype(np.int16) if size < 2**15 else groups
        minutes = measured.minutes[np.argsort(narrow, kind="stable")]
        sizes = np.bincount(groups, minlength=size)
        ends = np.cumsum(sizes)
        for i in np.flatnonzero(sizes):
            total, first_index = int(sizes[i]), int(ends[i] - sizes[i])
            found[int(i)].times[metric] = {
                which: int(minutes[first_index + _rank(share, total) - 1])
                for which, share in (("median", 0.5), ("p90", 0.9))
            }
    return list(found.values())


def _rank(share: float, total: int) -> int:
    """The nearest rank, 1-based, computed exactly as `percentile` does."""
    return max(1, math.ceil(share * total))


def _codes(values: np.ndarray) -> tuple[np.ndarray, list[int]]:
    """Each row's index into the sorted distinct values, and those values."""
    distinct, codes = np.unique(values, return_inverse=True)
    return codes.reshape(-1).astype(np.intp), [int(v) for v in distinct]


def _id_key(value: int) -> str:
    return str(value) if value else ""


def _dimension_codes(table: _Table, weeks: list[str]) -> dict[str, tuple[np.ndarray, list]]:
    team, teams = _codes(table.team)
    member, people = _codes(table.member)
    channel, channels = _codes(table.channel)
    # Removed channels are archived, not deleted: their conversations stay in the report.
    found = Channel.everything.filter(pk__in=channels).values_list("pk", "network")
    network_of = dict(found)
    networks = sorted({network_of[pk] for pk in channels})
    network_index = np.array([networks.index(network_of[pk]) for pk in channels], dtype=np.intp)
    return {
        "team": (team, [_id_key(v) for v in teams]),
        "member": (member, [_id_key(v) for v in people]),
        "network": (network_index[channel], [str(n) for n in networks]),
        "week": (table.week.astype(np.intp), weeks),
    }


def _labels(workspace: Workspace, dimension: str, keys: Iterable[str]) -> dict[str, str]:
    ids = [int(k) for k in keys if k.isdigit()]
    if dimension == "team":
        found = dict(Team.objects.filter(pk__in=ids, workspace=workspace).values_list("pk", "name"))
        return {str(pk): name for pk, name in found.items()} | {"": _("No team")}
    if dimension == "member":
        people = get_user_model().objects.filter(pk__in=ids)
        return {str(user.pk): user.display_name for user in people} | {"": _("Nobody")}
    if dimension == "network":
        return dict(networks())
    return {}


def build(
    workspace: Workspace,
    start: date | None = None,
    end: date | None = None,
    *,
    now: datetime | None = None,
) -> Report:
    zone = ZoneInfo(workspace.time_zone)
    if start is None or end is None:
        start, end = default_range(workspace.time_zone)
    if end < start:
        start, end = end, start
    start = max(start, end - timedelta(days=MAX_DAYS - 1))
    now = now or timezone.now()
    rows = Conversation.objects.filter(
        workspace=workspace,
        received_at__gte=datetime.combine(start, time(0), tzinfo=zone),
        received_at__lt=datetime.combine(end + timedelta(days=1), time(0), tzinfo=zone),
    ).exclude(state=ConversationState.SPAM)
    weeks, week_labels = _weeks(start, end, zone)
    table = _read(rows, weeks, now)
    durations = [_Sorted.of(values) for values in table.durations]
    everyone = _figures_by_group(np.zeros(len(table.team), dtype=np.intp), [""], table, durations)
    overall = everyone[0] if everyone else Figures("", "")
    overall.label = _("All conversations")
    groups: dict[str, list[Figures]] = {}
    for dimension, (codes, keys) in _dimension_codes(table, week_labels).items():
        figures = _figures_by_group(codes, keys, table, durations)
        labels = _labels(workspace, dimension, (f.key for f in figures))
        for item in figures:
            item.label = labels.get(item.key, item.key)
        groups[dimension] = sorted(
            figures, key=lambda f: f.key if dimension == "week" else (-f.received, f.label)
        )
    return Report(start, end, workspace.time_zone, overall, groups)


def duration_text(minutes: int | None) -> str:
    if minutes is None:
        return "—"
    if minutes < 60:
        return _("%(m)d min") % {"m": minutes}
    hours, rest = divmod(minutes, 60)
    if hours < 48:
        return _("%(h)d h %(m)02d min") % {"h": hours, "m": rest}
    return _("%(d)d d %(h)d h") % {"d": hours // 24, "h": hours % 24}


CSV_HEADER = [
    "dimension",
    "group",
    "received",
    "answered",
    "first_response_within_target",
    "first_response_missed_target",
    "first_response_share_within",
    "first_response_median_business_min",
    "first_response_p90_business_min",
    "first_response_median_wall_min",
    "first_response_p90_wall_min",
    "resolved",
    "resolution_within_target",
    "resolution_missed_target",
    "resolution_share_within",
    "resolution_median_business_min",
    "resolution_p90_business_min",
    "resolution_median_wall_min",
    "resolution_p90_wall_min",
]


def csv_rows(report: Report) -> Iterable[list]:
    yield CSV_HEADER
    entries = [("all", report.overall)] + [
        (dimension, item) for dimension in DIMENSIONS for item in report.groups[dimension]
    ]
    for dimension, item in entries:
        share = item.first_share
        resolution_share = item.resolution_share
        yield [
            dimension,
            item.label,
            item.received,
            item.answered,
            item.first_within,
            item.first_missed,
            "" if share is None else f"{share:.3f}",
            *_times(item, "first"),
            item.resolved,
            item.resolution_within,
            item.resolution_missed,
            "" if resolution_share is None else f"{resolution_share:.3f}",
            *_times(item, "resolution"),
        ]


def _times(item: Figures, prefix: str) -> list:
    values = []
    for kind in ("business", "wall"):
        for which in ("median", "p90"):
            value = item.time(f"{prefix}_{kind}", which)
            values.append("" if value is None else value)
    return values
