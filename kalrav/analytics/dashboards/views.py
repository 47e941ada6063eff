"""The analytics dashboard: /w/<ws>/analytics/ with filters, totals compared with the previous
period, charts (drawn by static/kalrav/analytics.js from JSON in the page, each with its table),
audience growth, top and bottom posts, the inbox's response times, clicks and conversions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import numberformat, timezone
from django.utils.formats import date_format, get_format, number_format
from django.utils.html import format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kalrav.analytics.campaigns.models import Campaign
from kalrav.analytics.dashboards import queries
from kalrav.analytics.rollups.models import PostFigures
from kalrav.channels.models import Channel
from kalrav.publishing import workspace_settings
from kalrav.workspaces.access import WorkspaceRequest, workspace_view
from kalrav.workspaces.permissions import Perm

PERIODS = (
    ("7", gettext_lazy("Last 7 days")),
    ("28", gettext_lazy("Last 28 days")),
    ("90", gettext_lazy("Last 90 days")),
    ("custom", gettext_lazy("Custom dates")),
)
LONGEST = 366


class DashboardForm(forms.Form):
    period = forms.ChoiceField(label=gettext_lazy("Period"), choices=PERIODS, required=False)
    start = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    channel = forms.ChoiceField(label=gettext_lazy("Channel"), required=False)
    network = forms.ChoiceField(label=gettext_lazy("Network"), required=False)
    campaign = forms.ChoiceField(label=gettext_lazy("Campaign"), required=False)
    tag = forms.CharField(label=gettext_lazy("Tag"), required=False, max_length=60)
    language = forms.ChoiceField(label=gettext_lazy("Language"), required=False)

    def __init__(self, data, *, workspace) -> None:
        super().__init__(data)
        everyone = [("", _("All"))]
        choice: dict[str, Any] = self.fields  # ChoiceFields, all four
        channels = Channel.objects.filter(workspace=workspace).order_by("name")
        choice["channel"].choices = everyone + [(str(c.pk), c.name) for c in channels]
        networks = sorted({c.network for c in channels})
        choice["network"].choices = everyone + [(n, n.title()) for n in networks]
        choice["campaign"].choices = everyone + [
            (str(c.pk), c.name) for c in Campaign.objects.filter(workspace=workspace)
        ]
        names = dict(settings.LANGUAGES)
        spoken = (
            PostFigures.objects.filter(workspace=workspace)
            .exclude(language="")
            .values_list("language", flat=True)
            .distinct()
        )
        choice["language"].choices = everyone + [
            (code, str(names.get(code, code))) for code in sorted(spoken)
        ]

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        if cleaned.get("period") == "custom":
            start, end = cleaned.get("start"), cleaned.get("end")
            if not start or not end:
                raise forms.ValidationError(_("Custom dates need both a first and a last day."))
            if end < start:
                raise forms.ValidationError(_("The last day comes before the first."))
            if (end - start).days >= LONGEST:
                raise forms.ValidationError(_("A period can be at most a year long."))
        return cleaned


def filters_from(form: DashboardForm, workspace, today: date) -> queries.Filters:
    data = form.cleaned_data if form.is_valid() else {}
    period = data.get("period") or "28"
    if period == "custom":
        start, end = data["start"], data["end"]
    else:
        end = today
        start = today - timedelta(days=int(period) - 1)
    campaign = None
    if data.get("campaign"):
        campaign = Campaign.objects.filter(workspace=workspace, pk=data["campaign"]).first()
    return queries.Filters(
        workspace_id=workspace.pk,
        zone=workspace_settings.zone_of(workspace),
        start=start,
        end=end,
        channel_id=int(data["channel"]) if data.get("channel") else None,
        network=data.get("network") or "",
        campaign=campaign,
        tag=(data.get("tag") or "").strip().lstrip("#").lower(),
        language=data.get("language") or "",
    )


def _n(value: float | None, places: int = 0) -> str:
    if value is None:
        return "—"
    return number_format(value, places, force_grouping=True)


def _numbers(places: int) -> Callable[[float | None], str]:
    """`_n` with the language's separators looked up once: a table of thousands of cells spent
    most of its time looking them up again for every cell."""
    decimal, grouping, thousands = (
        get_format(name) for name in ("DECIMAL_SEPARATOR", "NUMBER_GROUPING", "THOUSAND_SEPARATOR")
    )

    def text(value: float | None) -> str:
        if value is None:
            return "—"
        return numberformat.format(
            value, decimal, places, grouping, thousands, force_grouping=True, use_l10n=True
        )

    return text


def _label(moment: object) -> str:
    if isinstance(moment, datetime):
        return date_format(moment, "SHORT_WEEKDAY_DATETIME_FORMAT")
    assert isinstance(moment, date)
    return date_format(moment, "DAY_MONTH_FORMAT")


def chart(kind: str, title: str, labels: list[str], series: list[tuple[str, list]]) -> dict:
    """What analytics.js draws, and the template's table of the same numbers."""
    # A chart of nothing but zeros and gaps is noise: the template says "nothing" instead.
    if not any(value for _name, values in series for value in values):
        series = []
    number = _numbers(1 if kind == "minutes" else 0)
    return {
        "kind": kind,
        "title": title,
        # Ticks group thousands only where the language's formats do, as the tables beside.
        "grouping": bool(get_format("NUMBER_GROUPING")),
        "labels": labels,
        "series": [{"label": name, "data": data} for name, data in series],
        # Each row's cells as one piece of HTML: rendered cell by cell, a 50-channel audience
        # table over 90 days (4,500 cells) was a third of the page's time.
        "rows": [
            (
                label,
                format_html_join(
                    "",
                    "<td>{}</td>",
                    ((number(values[i]),) for _name, values in series),
                ),
            )
            for i, label in enumerate(labels)
        ],
    }


@workspace_view(Perm.ANALYTICS_VIEW)
def dashboard(request: WorkspaceRequest) -> HttpResponse:
    workspace = request.member.workspace
    zone = workspace_settings.zone_of(workspace)
    form = DashboardForm(request.GET or None, workspace=workspace)
    filters = filters_from(form, workspace, timezone.now().astimezone(zone).date())
    context: dict = {
        "form": form,
        "filters": filters,
        "nav": "analytics",
        "has_figures": queries.has_any(workspace.pk),
        "min_impressions": queries.MIN_IMPRESSIONS,
    }
    if context["has_figures"]:
        context.update(_figures(filters))
    return render(request, "analytics/dashboard.html", context)


def _figures(filters: queries.Filters) -> dict:
    now, before = queries.totals(filters), queries.totals(filters.previous())
    change = queries.deltas(now, before)
    names = {
        "posts": _("Posts published"),
        "impressions": _("Impressions"),
        "engagements": _("Engagements"),
        "engagement_rate": _("Engagement rate"),
        "clicks": _("Clicks by people"),
        "conversions": _("Conversions"),
    }
    totals = [
        {
            "name": label,
            "value": _n(now[key], 2 if key == "engagement_rate" else 0)
            + ("%" if key == "engagement_rate" and now[key] is not None else ""),
            "before": _n(before[key], 2 if key == "engagement_rate" else 0),
            "delta": change[key],
            "delta_text": _n(change[key], 1) if change[key] is not None else "",
            "points": key == "engagement_rate",
        }
        for key, label in names.items()
    ]
    timeline = queries.over_time(filters)
    labels = [_label(moment) for moment, _seen, _engaged in timeline]
    charts = [
        chart(
            "line",
            _("Impressions and engagements by day of publication"),
            labels,
            [
                (_("Impressions"), [seen for _m, seen, _e in timeline]),
                (_("Engagements"), [engaged for _m, _s, engaged in timeline]),
            ],
        )
    ]
    grown = queries.audience(filters)
    names_of = dict(Channel.everything.filter(pk__in=list(grown)).values_list("pk", "name"))
    days = [filters.start + timedelta(days=d) for d in range(filters.days)]
    audience_series = []
    for channel_id, points in grown.items():
        known = dict(points)
        audience_series.append((names_of.get(channel_id, "?"), [known.get(d) for d in days]))
    charts.append(
        chart("line", _("Followers per channel"), [_label(d) for d in days], audience_series)
    )
    clicks, conversions = queries.link_series(filters)
    charts.append(
        chart(
            "bar",
            _("Clicks by people and conversions"),
            [_label(d) for d in days],
            [
                (_("Clicks by people"), [clicks.get(d, 0) for d in days]),
                (_("Conversions"), [conversions.get(d, 0) for d in days]),
            ],
        )
    )
    responses = queries.response_times(filters)
    charts.append(
        chart(
            "minutes",
            _("Minutes to the first response, by day the conversation arrived"),
            [_label(d) for d, *_rest in responses["days"]],
            [
                (_("Median"), [m for _d, _n, m, _p in responses["days"]]),
                (_("90th percentile"), [p for _d, _n, _m, p in responses["days"]]),
            ],
        )
    )
    return {
        "totals": totals,
        # The script gets what it draws; the table rows are the template's alone.
        "charts": [
            {**c, "id": f"chart-{i}", "drawn": {k: v for k, v in c.items() if k != "rows"}}
            for i, c in enumerate(charts)
        ],
        "top_posts": queries.ranked_posts(filters, best=True),
        "bottom_posts": queries.ranked_posts(filters, best=False),
        "responses": {
            "answered": responses["answered"],
            "median": _n(responses["median"], 1),
            "p90": _n(responses["p90"], 1),
        },
        "previous": filters.previous(),
    }
