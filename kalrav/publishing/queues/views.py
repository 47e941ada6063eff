"""The queues page (each channel's time slots, next free slots and best time), "add to queue" on a
variant or a whole post, and setting or stopping a post's recurrence."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kalrav.channels.models import Channel
from kalrav.publishing import workspace_settings
from kalrav.publishing.models import Post
from kalrav.publishing.queues import best_time, recurrence, services
from kalrav.publishing.queues.forms import AddSlotForm, RecurrenceForm, SlotTextForm
from kalrav.publishing.queues.models import QueueSlot
from kalrav.publishing.views import _actor, _member, local_time, variant_action
from kalrav.workspaces.access import WorkspaceRequest, workspace_view
from kalrav.workspaces.models import Member
from kalrav.workspaces.permissions import Perm


def channel_queue(member: Member, channel: Channel, text_form: SlotTextForm | None = None) -> dict:
    zone = workspace_settings.zone_of(member.workspace)
    records = list(QueueSlot.objects.filter(channel=channel).order_by("weekday", "time"))
    slots = [(s.weekday, s.time) for s in records]
    by_day: list[list[QueueSlot]] = [[] for _day in range(7)]
    for record in records:
        by_day[record.weekday].append(record)
    # 1 January 2024 was a Monday: its week gives the weekday names in the user's language.
    names = [date_format(date(2024, 1, 1 + d), "l") for d in range(7)]
    best = best_time.suggest(channel.pk, zone)
    free = best_time.mark_slots(
        services.free_slots(channel.pk, zone, limit=best_time.LOOKAHEAD, slots=slots), best, zone
    )
    return {
        "channel": channel,
        "slots": records,
        "by_day": list(zip(names, by_day, strict=True)),
        "text_form": text_form
        or SlotTextForm(initial={"text": services.format_slots(slots)}, prefix=f"c{channel.pk}"),
        "add_form": AddSlotForm(prefix=f"a{channel.pk}"),
        # The queue's order as set; the slot in a best hour is offered first, apart from it.
        "next_free": free[:3],
        "best_slot": best_time.best_slot(free, best),
        "best": best,
    }


def _page(request: WorkspaceRequest, failed: dict | None = None, status: int = 200) -> HttpResponse:
    member = _member(request)
    zone = workspace_settings.zone_of(member.workspace)
    failed = failed or {}
    rows = [
        channel_queue(member, channel, failed.get(channel.pk))
        for channel in Channel.objects.filter(workspace=member.workspace).order_by("name")
    ]
    context = {
        "rows": rows,
        "zone": zone,
        "nav": "calendar",
    }
    with timezone.override(zone):
        return render(request, "publishing/queues.html", context, status=status)


@workspace_view(Perm.CONTENT_VIEW)
def queues_page(request: WorkspaceRequest) -> HttpResponse:
    return _page(request)


def _back(member: Member, channel_id: int) -> HttpResponse:
    url = reverse("publishing:queues", kwargs={"ws": member.workspace.slug})
    return redirect(f"{url}#queue-{channel_id}")


@require_POST
@workspace_view(Perm.CONTENT_EDIT)
def queue_replace(request: WorkspaceRequest, channel_id: int) -> HttpResponse:
    member = _member(request)
    channel = get_object_or_404(Channel, pk=channel_id, workspace=member.workspace)
    form = SlotTextForm(request.POST, prefix=f"c{channel.pk}")
    if form.is_valid():
        try:
            services.replace_slots(member, _actor(request), channel.pk, form.cleaned_data["text"])
        except ValidationError as error:
            form.add_error("text", error.messages)
    if form.errors:
        # The page again, with what was typed and what is wrong with it.
        return _page(request, {channel.pk: form}, status=400)
    messages.success(request, _("Queue of %(channel)s saved.") % {"channel": channel.name})
    return _back(member, channel.pk)


@require_POST
@workspace_view(Perm.CONTENT_EDIT)
def queue_add(request: WorkspaceRequest, channel_id: int) -> HttpResponse:
    member = _member(request)
    channel = get_object_or_404(Channel, pk=channel_id, workspace=member.workspace)
    form = AddSlotForm(request.POST, prefix=f"a{channel.pk}")
    if not form.is_valid():
        messages.error(request, _("Choose the days and a time."))
        return _back(member, channel.pk)
    try:
        services.add_slots(member, _actor(request), channel.pk, form.slots())
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Time added to %(channel)s.") % {"channel": channel.name})
    return _back(member, channel.pk)


@require_POST
@workspace_view(Perm.CONTENT_EDIT)
def queue_slot_delete(request: WorkspaceRequest, slot_id: int) -> HttpResponse:
    member = _member(request)
    slot = get_object_or_404(QueueSlot, pk=slot_id, channel__workspace=member.workspace)
    services.remove_slot(member, _actor(request), slot.pk)
    messages.success(request, _("Time removed."))
    return _back(member, slot.channel_id)


def _to_post(member: Member, post_id: int, anchor: str = "") -> HttpResponse:
    url = reverse("publishing:post", kwargs={"ws": member.workspace.slug, "post_id": post_id})
    return redirect(url + anchor)


@require_POST
@workspace_view(Perm.CONTENT_EDIT)
def variant_queue(request: WorkspaceRequest, variant_id: int) -> HttpResponse:
    member = _member(request)
    return variant_action(
        request,
        variant_id,
        lambda v: services.queue_variant(member, _actor(request), v.pk),
        lambda queued: (
            _("Added to the queue of %(channel)s: %(when)s.")
            % {"channel": queued.channel.name, "when": local_time(queued.scheduled_at, member)}
        ),
    )


@require_POST
@workspace_view(Perm.CONTENT_EDIT)
def post_queue(request: WorkspaceRequest, post_id: int) -> HttpResponse:
    member = _member(request)
    post = get_object_or_404(Post, pk=post_id, workspace=member.workspace)
    try:
        queued = services.queue_post(member, _actor(request), post.pk)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("Added to the queues: %(list)s.")
            % {
                "list": "; ".join(
                    f"{v.channel.name} {local_time(v.scheduled_at, member)}"
                    for v in queued
                    if v.scheduled_at  # every queued variant has its slot
                )
            },
        )
    return _to_post(member, post.pk)


@require_POST
@workspace_view(Perm.CONTENT_EDIT)
def post_recurrence(request: WorkspaceRequest, post_id: int) -> HttpResponse:
    member = _member(request)
    post = get_object_or_404(Post, pk=post_id, workspace=member.workspace)
    form = RecurrenceForm(request.POST)
    problems: list[str] = []
    if form.is_valid():
        try:
            rule = recurrence.set_recurrence(
                member, _actor(request), post.pk, **form.service_fields()
            )
        except ValidationError as error:
            problems = error.messages
        else:
            messages.success(request, recurrence.describe(rule) + ".")
            return _to_post(member, post.pk, "#recurrence")
    else:
        problems = [
            f"{form.fields[name].label}: {' '.join(str(e) for e in errors)}"
            if name in form.fields
            else " ".join(str(e) for e in errors)
            for name, errors in form.errors.items()
        ]
    messages.error(request, " ".join(problems))
    # Back to the post with what was typed, so nothing is lost (the panel reads it from the query).
    typed = {f"r-{k}": v for k, v in request.POST.items() if k in RecurrenceForm.base_fields}
    url = reverse("publishing:post", kwargs={"ws": member.workspace.slug, "post_id": post.pk})
    return redirect(f"{url}?{urlencode(typed)}#recurrence")


@require_POST
@workspace_view(Perm.CONTENT_EDIT)
def post_recurrence_clear(request: WorkspaceRequest, post_id: int) -> HttpResponse:
    member = _member(request)
    post = get_object_or_404(Post, pk=post_id, workspace=member.workspace)
    recurrence.clear_recurrence(member, _actor(request), post.pk)
    messages.success(request, _("This post no longer repeats; posts already made stay."))
    return _to_post(member, post.pk, "#recurrence")
