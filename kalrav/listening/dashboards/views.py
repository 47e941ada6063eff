"""Listening dashboards: one monitor's volume, sentiment, authors, sources, languages and words
(/w/<ws>/listening/<monitor>/dashboard/), and share of voice across the brand's and its
competitors' monitors (/w/<ws>/listening/share-of-voice/). Each chart has its table and CSV."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _

from kalrav.listening.dashboards import queries
from kalrav.listening.dashboards.charts import Chart, bucket_label
from kalrav.listening.models import Monitor, MonitorKind
from kalrav.workspaces.access import WorkspaceRequest, workspace_view
from kalrav.workspaces.permissions import Perm

PERIODS = {"1": 1, "7": 7, "30": 30, "90": 90}
DEFAULT_PERIOD = "30"


def _period(request: WorkspaceRequest) -> tuple[str, datetime, datetime, ZoneInfo, bool]:
    chosen = request.GET.get("days", DEFAULT_PERIOD)
    if chosen not in PERIODS:
        chosen = DEFAULT_PERIOD
    zone = ZoneInfo(request.member.workspace.time_zone)
    until = timezone.now()
    days = PERIODS[chosen]
    return chosen, until - timedelta(days=days), until, zone, days <= 2


def _sentiment_names() -> dict[str, str]:
    return {"positive": _("Positive"), "neutral": _("Neutral"), "negative": _("Negative")}


def _language_name(code: str) -> str:
    names = dict(settings.LANGUAGES)
    return str(names.get(code, code)) if code else _("Unknown")


def net_sentiment(positive: int, negative: int) -> float | None:
    """(positive - negative) / (positive + negative), from -1 to 1; None with neither."""
    total = positive + negative
    return round((positive - negative) / total, 3) if total else None


def monitor_charts(monitor: Monitor, since, until, zone, hourly) -> tuple[list[Chart], dict]:
    starts = queries.bucket_starts(since, until, zone, hourly)
    counts = queries.volume([monitor.pk], since, until, zone, hourly, "sentiment")
    names = _sentiment_names()
    labels = [bucket_label(at, hourly) for at in starts]
    keys = [at.isoformat() for at in starts]

    def at(start, sentiment):
        return counts.get((start, sentiment), 0)

    volume_rows = []
    net_rows = []
    totals = dict.fromkeys(queries.SENTIMENTS, 0)
    unrated = 0
    for label, start in zip(labels, starts, strict=True):
        values = [at(start, s) for s in queries.SENTIMENTS]
        unrated += at(start, "")
        for s, v in zip(queries.SENTIMENTS, values, strict=True):
            totals[s] += v
        volume_rows.append((label, [float(v) for v in values]))
        net_rows.append((label, [net_sentiment(values[0], values[2])]))
    when = _("Hour") if hourly else _("Day")
    charts = [
        Chart(
            "volume",
            _("Volume and sentiment over time"),
            "stacked",
            when,
            [names[s] for s in queries.SENTIMENTS],
            volume_rows,
            keys,
        ),
        Chart(
            "net",
            _("Net sentiment over time"),
            "line",
            when,
            [_("Net sentiment")],
            net_rows,
            keys,
            value_range=(-1, 1),
        ),
    ]
    authors = queries.top_authors(monitor.pk, since, until)
    charts.append(
        Chart(
            "authors",
            _("Top authors"),
            "hbar",
            _("Author"),
            [_("Mentions")],
            [(f"{handle} ({network})", [float(n)]) for handle, network, n in authors],
        )
    )
    charts.append(
        Chart(
            "sources",
            _("Sources"),
            "hbar",
            _("Source"),
            [_("Mentions")],
            [(label, [float(n)]) for label, n in queries.sources(monitor.pk, since, until)],
        )
    )
    charts.append(
        Chart(
            "languages",
            _("Languages"),
            "doughnut",
            _("Language"),
            [_("Mentions")],
            [
                (_language_name(code), [float(n)])
                for code, n in queries.languages(monitor.pk, since, until)
            ],
        )
    )
    words, tags, read = queries.terms(monitor.pk, since, until)
    charts.append(
        Chart(
            "terms",
            _("Top terms"),
            "hbar",
            _("Term"),
            [_("Mentions")],
            [(t, [float(n)]) for t, n in words],
        )
    )
    charts.append(
        Chart(
            "hashtags",
            _("Top hashtags"),
            "hbar",
            _("Hashtag"),
            [_("Mentions")],
            [(t, [float(n)]) for t, n in tags],
        )
    )
    summary = {
        **totals,
        "unrated": unrated,
        "total": sum(totals.values()) + unrated,
        "net": net_sentiment(totals["positive"], totals["negative"]),
        "words_read": read,
    }
    return charts, summary


def _chart_or_csv(request, charts: list[Chart], filename: str) -> HttpResponse | None:
    wanted = request.GET.get("csv")
    if not wanted:
        return None
    for chart in charts:
        if chart.id == wanted:
            return chart.csv_response(filename)
    raise Http404


@workspace_view(Perm.LISTENING_VIEW)
def monitor_dashboard(request: WorkspaceRequest, monitor_id: int) -> HttpResponse:
    workspace = request.member.workspace
    monitor = get_object_or_404(Monitor, pk=monitor_id, workspace=workspace)
    chosen, since, until, zone, hourly = _period(request)
    charts, summary = monitor_charts(monitor, since, until, zone, hourly)
    csv = _chart_or_csv(request, charts, f"monitor-{monitor.pk}")
    if csv is not None:
        return csv
    return render(
        request,
        "listening/dashboards/monitor.html",
        {
            "monitor": monitor,
            "charts": charts,
            "summary": summary,
            "period": chosen,
            "periods": PERIODS,
            "nav": "listening",
        },
    )


@workspace_view(Perm.LISTENING_VIEW)
def share_of_voice(request: WorkspaceRequest) -> HttpResponse:
    workspace = request.member.workspace
    chosen, since, until, zone, hourly = _period(request)
    monitors = list(Monitor.objects.filter(workspace=workspace, is_active=True))
    ids = [m.pk for m in monitors]
    starts = queries.bucket_starts(since, until, zone, hourly)
    counts = queries.volume(ids, since, until, zone, hourly, "monitor_id") if ids else {}
    totals = {m.pk: sum(n for (_b, mid), n in counts.items() if mid == m.pk) for m in monitors}
    everything = sum(totals.values())
    ordered = sorted(monitors, key=lambda m: (m.kind != MonitorKind.BRAND, -totals[m.pk], m.name))
    share_rows = [
        (
            f"{m.name} ({m.get_kind_display()})",
            [round(100 * totals[m.pk] / everything, 1) if everything else 0.0],
        )
        for m in ordered
    ]
    over_time = [
        (bucket_label(at, hourly), [float(counts.get((at, m.pk), 0)) for m in ordered])
        for at in starts
    ]
    charts = [
        Chart(
            "share",
            _("Share of voice"),
            "doughnut",
            _("Monitor"),
            [_("Share (%)")],
            share_rows,
            percent=True,
        ),
        Chart(
            "over-time",
            _("Mentions over time"),
            "line",
            _("Hour") if hourly else _("Day"),
            [m.name for m in ordered],
            over_time,
            [at.isoformat() for at in starts],
        ),
    ]
    csv = _chart_or_csv(request, charts, "share-of-voice")
    if csv is not None:
        return csv
    brand = sum(totals[m.pk] for m in monitors if m.kind == MonitorKind.BRAND)
    return render(
        request,
        "listening/dashboards/share_of_voice.html",
        {
            "charts": charts,
            "monitors": ordered,
            "totals": totals,
            "everything": everything,
            "brand_share": round(100 * brand / everything, 1) if everything else None,
            "has_competitors": any(m.kind == MonitorKind.COMPETITOR for m in monitors),
            "period": chosen,
            "periods": PERIODS,
            "nav": "listening",
        },
    )
