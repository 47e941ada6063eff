"""Trends: /w/<ws>/listening/trends/, the terms and hashtags rising in the last day against the
week before, per language, each with its days as a small chart and a table, and the posts that
show it, so the team can decide whether to join in."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from kalrav.listening.trends import services
from kalrav.workspaces.access import WorkspaceRequest, workspace_view
from kalrav.workspaces.permissions import Perm

SPARK_HEIGHT = 30


def _bars(days: list[int]) -> list[dict]:
    """A sparkline as SVG bars (no script needed; the numbers are in the table beside it)."""
    top = max(days) or 1
    bars = []
    for i, n in enumerate(days):
        height = max(1, round(SPARK_HEIGHT * n / top))
        bars.append({"x": i * 10, "y": SPARK_HEIGHT - height, "height": height, "n": n})
    return bars


@workspace_view(Perm.LISTENING_VIEW)
def trend_list(request: WorkspaceRequest) -> HttpResponse:
    now = timezone.now()
    found = services.trends(request.workspace.pk, now)
    names = dict(settings.LANGUAGES)
    languages = [
        {
            "code": code,
            "name": names.get(code, code) if code else None,
            "trends": [{"trend": t, "bars": _bars(t.days)} for t in items],
        }
        for code, items in sorted(found.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    ]
    return render(
        request,
        "listening/trends/list.html",
        {
            "languages": languages,
            "baseline_days": services.BASELINE_DAYS,
            "spark_height": SPARK_HEIGHT,
            "nav": "listening",
            "insight": "trends",
        },
    )
