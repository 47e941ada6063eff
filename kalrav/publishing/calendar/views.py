"""The calendar (month, week, quarter, list), moving a variant by drag and drop, exports, the CSV
import and the workspace's publishing settings."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from kalrav.channels.models import Channel
from kalrav.publishing import scheduling, workspace_settings
from kalrav.publishing.calendar import csv_import, exports, grid
from kalrav.publishing.calendar.forms import CalendarFilterForm, ImportForm, PublishingSettingsForm
from kalrav.publishing.delivery import notifications
from kalrav.publishing.models import Post, Variant
from kalrav.workspaces.access import WorkspaceRequest, workspace_view
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import Member
from kalrav.workspaces.permissions import Perm


def _member(request: WorkspaceRequest) -> Member:
    return request.member


def variants_between(member: Member, first: date, last: date) -> QuerySet[Variant]:
    start, end = grid.utc_range(first, last, workspace_settings.zone_of(member.workspace))
    return (
        Variant.objects.filter(
            post__workspace=member.workspace, scheduled_at__gte=start, scheduled_at__lt=end
        )
        .select_related("post", "post__occurrence", "channel")
        .order_by("scheduled_at", "id")
    )


def _filter_form(request: HttpRequest, member: Member) -> CalendarFilterForm:
    posts = Post.objects.filter(workspace=member.workspace)
    campaigns = sorted(set(posts.exclude(campaign="").values_list("campaign", flat=True)))
    tags = sorted({t for row in posts.values_list("tags", flat=True) for t in (row or [])})
    return CalendarFilterForm(
        request.GET,
        channels=Channel.objects.filter(workspace=member.workspace),
        campaigns=campaigns,
        tags=tags,
    )


def _filtered(variants: QuerySet[Variant], data: dict) -> list[Variant]:
    if data.get("channel"):
        variants = variants.filter(channel_id=data["channel"])
    if data.get("campaign"):
        variants = variants.filter(post__campaign=data["campaign"])
    if data.get("state"):
        variants = variants.filter(state=data["state"])
    found = list(variants)
    if data.get("tag"):
        # Tags are a JSON list; filtering in Python works the same on SQLite and PostgreSQL.
        found = [v for v in found if data["tag"] in (v.post.tags or [])]
    return found


def _title(view: str, span: grid.Span) -> str:
    if view == "month":
        return date_format(span.first, "F Y")
    if view == "quarter":
        return _("%(first)s – %(last)s") % {
            "first": date_format(span.first, "F"),
            "last": date_format(span.last, "F Y"),
        }
    return _("%(first)s – %(last)s") % {
        "first": date_format(span.first, "j M"),
        "last": date_format(span.last, "j M Y"),
    }


def _grid(span: grid.Span, by_day: dict) -> list[list[dict]]:
    return [
        [
            {"day": d, "items": by_day.get(d, []), "inside": span.first <= d <= span.last}
            for d in week
        ]
        for week in grid.weeks(span.first, span.last)
    ]


def _quarter(span: grid.Span, by_day: dict) -> list[dict]:
    counts = Counter({d: len(items) for d, items in by_day.items()})
    months = []
    for n in range(3):
        first = grid.add_months(span.first, n)
        last = grid.add_months(first, 1) - timedelta(days=1)
        cells = [
            [
                {
                    "day": d,
                    "count": counts[d],
                    "level": grid.density(counts[d]),
                    "inside": first <= d <= last,
                }
                for d in week
            ]
            for week in grid.weeks(first, last)
        ]
        months.append({"first": first, "weeks": cells})
    return months


@workspace_view(Perm.CONTENT_VIEW)
def calendar(request: WorkspaceRequest) -> HttpResponse:
    member = _member(request)
    zone = workspace_settings.zone_of(member.workspace)
    today = timezone.now().astimezone(zone).date()
    form = _filter_form(request, member)
    data = form.cleaned_data if form.is_valid() else {}
    view = data.get("view") or "month"
    anchor = data.get("date") or today
    span = grid.span(view, anchor)
    shown = _filtered(variants_between(member, span.first, span.last), data)
    by_day = grid.group_by_day(shown, zone)
    filters = {
        k: v for k, v in request.GET.items() if k in ("channel", "campaign", "tag", "state") and v
    }
    days = [(d, by_day[d]) for d in sorted(by_day)] if view == "list" else []
    months = _quarter(span, by_day) if view == "quarter" else []
    cells = _grid(span, by_day) if view in ("month", "week") else []
    channels = list(Channel.objects.filter(workspace=member.workspace))
    query = urlencode(filters)
    context = {
        "view": view,
        "span": span,
        "title": _title(view, span),
        "today": today,
        "zone": zone,
        "grid": cells,
        "months": months,
        "days": days,
        "shown": shown,
        "form": form,
        "filters": filters,
        "query": query,
        "channels": channels,
        "views": [
            ("month", _("Month")),
            ("week", _("Week")),
            ("quarter", _("Quarter")),
            ("list", _("List")),
        ],
        "weekdays": [
            date_format(span.first - timedelta(days=span.first.weekday() - n), "D")
            for n in range(7)
        ],
        "nav": "calendar",
        "anything_planned": Variant.objects.filter(post__workspace=member.workspace).exists(),
        "failures_unread": notifications.unread_count(request.user.pk, member.workspace.pk),
    }
    template = "publishing/_calendar_body.html" if request.htmx else "publishing/calendar.html"
    with timezone.override(zone):
        return render(request, template, context)


@require_POST
@workspace_view(Perm.CONTENT_EDIT)
def move(request: WorkspaceRequest, variant_id: int) -> HttpResponse:
    """Drop a post on a day: every variant of it moves (scheduling.move_post); the answer carries
    the times they had, for the toast's "Undo"."""
    member = _member(request)
    variant = get_object_or_404(Variant, pk=variant_id, post__workspace=member.workspace)
    try:
        day = date.fromisoformat(request.POST.get("day", ""))
        moved = scheduling.move_post(member, Actor(user=request.user), variant.pk, day)
    except ValueError:
        return JsonResponse({"message": _("Drop the post on a day of the calendar.")}, status=400)
    except ValidationError as error:
        return JsonResponse({"message": " ".join(error.messages)}, status=400)
    zone = workspace_settings.zone_of(member.workspace)
    local = moved[0][0].scheduled_at.astimezone(zone)  # type: ignore[union-attr]
    when = date_format(local, "DATETIME_FORMAT")
    if len(moved) == 1:
        message = _("Moved to %(when)s.") % {"when": when}
    else:
        message = ngettext(
            "Moved to %(when)s, with its %(n)d variant.",
            "Moved to %(when)s, with its %(n)d variants.",
            len(moved),
        ) % {"when": when, "n": len(moved)}
    return JsonResponse(
        {
            "message": message,
            "undo": {
                "url": reverse("publishing:move-undo", kwargs={"ws": member.workspace.slug}),
                "label": _("Undo"),
                "fields": {
                    f"at-{v.pk}": before.isoformat() if before else "" for v, before in moved
                },
            },
        }
    )


@require_POST
@workspace_view(Perm.CONTENT_EDIT)
def move_undo(request: WorkspaceRequest) -> HttpResponse:
    """Put every variant of a moved post back at the time it had before the drag."""
    member = _member(request)
    times: dict[int, datetime | None] = {}
    try:
        for key in request.POST:
            if key.startswith("at-") and key.removeprefix("at-").isdigit():
                value = str(request.POST.get(key, ""))
                when = datetime.fromisoformat(value) if value else None
                if when is not None and timezone.is_naive(when):
                    raise ValueError(value)
                times[int(key.removeprefix("at-"))] = when
        if not times:
            return JsonResponse({"message": _("There is nothing to undo.")})
        scheduling.restore_times(member, Actor(user=request.user), times)
    except (ValueError, Variant.DoesNotExist):
        return JsonResponse({"message": _("There is nothing to undo.")}, status=400)
    except ValidationError as error:
        return JsonResponse({"message": " ".join(error.messages)}, status=400)
    return JsonResponse({"message": _("Moved back.")})


def _export_variants(request: HttpRequest, member: Member) -> list[Variant]:
    form = _filter_form(request, member)
    data = form.cleaned_data if form.is_valid() else {}
    zone = workspace_settings.zone_of(member.workspace)
    anchor = data.get("date") or timezone.now().astimezone(zone).date()
    span = grid.span(data.get("view") or "month", anchor)
    return _filtered(variants_between(member, span.first, span.last), data)


@workspace_view(Perm.CONTENT_VIEW)
def export_csv(request: WorkspaceRequest) -> HttpResponse:
    member = _member(request)
    body = exports.to_csv(
        _export_variants(request, member), workspace_settings.zone_of(member.workspace)
    )
    response = HttpResponse("\ufeff" + body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{member.workspace.slug}-calendar.csv"'
    return response


@workspace_view(Perm.CONTENT_VIEW)
def export_ics(request: WorkspaceRequest) -> HttpResponse:
    member = _member(request)
    body = exports.to_ics(_export_variants(request, member), member.workspace.name, timezone.now())
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{member.workspace.slug}-calendar.ics"'
    return response


@workspace_view(Perm.CONTENT_EDIT)
def import_csv(request: WorkspaceRequest) -> HttpResponse:
    member = _member(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        report = csv_import.import_posts(
            member, Actor(user=request.user), upload.read(csv_import.MAX_BYTES + 1)
        )
    context = {
        "form": form,
        "report": report,
        "columns": csv_import.KNOWN,
        "nav": "calendar",
        "channels": Channel.objects.filter(workspace=member.workspace),
    }
    return render(request, "publishing/import.html", context, status=400 if form.errors else 200)


@workspace_view(Perm.CONTENT_VIEW)
def publishing_settings(request: WorkspaceRequest) -> HttpResponse:
    member = _member(request)
    current = workspace_settings.publishing_settings(member.workspace)
    form = PublishingSettingsForm(
        request.POST or None,
        initial={
            "require_approval": current.require_approval,
            "reapprove_after_edit": current.reapprove_after_edit,
        },
    )
    if not member.can(Perm.WORKSPACE_EDIT):
        for field in form.fields.values():
            field.disabled = True
    if request.method == "POST":
        if not member.can(Perm.WORKSPACE_EDIT):
            raise PermissionDenied
        if form.is_valid():
            try:
                workspace_settings.update_publishing_settings(
                    member, Actor(user=request.user), **form.cleaned_data
                )
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                messages.success(request, _("Publishing settings saved."))
                return redirect("publishing:settings", ws=member.workspace.slug)
    return render(request, "publishing/settings.html", {"form": form, "nav": "calendar"})
