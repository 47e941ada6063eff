"""The composer, a post's page with its variants' approvals and schedule, and the live check."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kalrav.channels.models import Channel
from kalrav.publishing import approvals, held, posts, scheduling, workspace_settings
from kalrav.publishing.composer import (
    post_options,
    preview,
    sections,
    uploads,
    variant_check,
    variant_options,
    when,
)
from kalrav.publishing.delivery import notifications
from kalrav.publishing.editing import services as editing
from kalrav.publishing.forms import CommentForm, PostForm, ScheduleForm
from kalrav.publishing.models import MediaAsset, Post, Variant, VariantState
from kalrav.workspaces.access import WorkspaceRequest, workspace_view
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import Member
from kalrav.workspaces.permissions import Perm


def _actor(request: HttpRequest) -> Actor:
    return Actor(user=request.user, via="web")


def _member(request: WorkspaceRequest) -> Member:
    return request.member


def _apply(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, problems in error.message_dict.items():
            form.add_error(field if field in form.fields else None, problems)
    else:
        form.add_error(None, error.messages)


def _ints(values: list[str]) -> list[int]:
    return [int(v) for v in values if str(v).isdigit()]


def _composer_context(
    member: Member, form: PostForm, post: Post | None, texts: dict, extras: dict | None = None
) -> dict:
    channels = list(Channel.objects.filter(workspace=member.workspace))
    chosen = {int(v) for v in (form["channels"].value() or []) if str(v).isdigit()}
    master = form["text"].value() or ""
    rows = [
        {
            "channel": c,
            "text": texts.get(c.pk, "") or master,
            "edited": bool(texts.get(c.pk)) and texts.get(c.pk, "").strip() != master.strip(),
            **sections.row(c, (extras or {}).get(c.pk)),
        }
        for c in channels
    ]
    return {
        "form": form,
        "post": post,
        "channels": channels,
        "rows": rows,
        "chosen": chosen,
        "assets": MediaAsset.objects.filter(workspace=member.workspace)[:60],
        "chosen_media": {int(v) for v in (form["media_ids"].value() or []) if str(v).isdigit()},
        "locked": set(),
        "nav": "calendar",
    }


def _post_form(
    request: HttpRequest,
    member: Member,
    initial: dict | None = None,
    uploaded: list[MediaAsset] | None = None,
) -> PostForm:
    data = None
    if request.method == "POST":
        # Files uploaded with this very submission are attached as if picked from the library.
        data = request.POST.copy()
        data.setlist("media_ids", data.getlist("media_ids") + [str(a.pk) for a in uploaded or []])
    return PostForm(
        data,
        initial=initial,
        channels=Channel.objects.filter(workspace=member.workspace),
        assets=MediaAsset.objects.filter(workspace=member.workspace),
    )


def _variant_texts(request: HttpRequest) -> dict[int, str]:
    return {
        int(key.removeprefix("variant-")): str(request.POST.get(key, ""))
        for key in request.POST
        if key.startswith("variant-") and key.removeprefix("variant-").isdigit()
    }


def _save(request: HttpRequest, member: Member, form: PostForm, post_id: int | None):
    texts = _variant_texts(request)
    extras = sections.posted(request.POST)
    return posts.compose_post(
        member,
        _actor(request),
        post_id,
        fields=form.service_fields(),
        channel_ids=_ints(form.cleaned_data["channels"]),
        media_ids=_ints(form.cleaned_data["media_ids"]),
        variant_texts=texts,
        variant_extras=extras,
    ), texts


def _store_uploads(request: HttpRequest, member: Member) -> tuple[list[MediaAsset], list[str]]:
    if request.method != "POST":
        return [], []
    stored, problems = uploads.store(member, _actor(request), request.FILES.getlist(uploads.FIELD))
    if stored:
        messages.success(
            request,
            _("In the library and attached: %(names)s.")
            % {"names": ", ".join(str(a) for a in stored)},
        )
    return stored, problems


def _when_form(request: HttpRequest, member: Member) -> when.WhenForm:
    return when.WhenForm(
        request.POST if request.method == "POST" else None,
        zone=workspace_settings.zone_of(member.workspace),
        require_approval=workspace_settings.publishing_settings(member.workspace).require_approval,
        can_publish=member.can(Perm.CONTENT_PUBLISH),
        has_queues=when.has_queues(member.workspace_id),
    )


def _when_done(choice: str, done: list[Variant], member: Member) -> str:
    # The toast never promises what a paused channel will hold back (held.py says which).
    held_back = [
        f"{v.channel.name}: {held.channel_warning(v.channel)}" for v in done if held.held_reason(v)
    ]
    if held_back:
        return " ".join(held_back)
    if choice == when.NOW:
        return _("Publishing now; this page shows the result in a moment.")
    if done and done[0].state == VariantState.PENDING_APPROVAL:
        return _("Sent for approval; once approved it is scheduled for its planned time.")
    if choice in (when.AT, when.QUEUE):
        return _("Scheduled: %(list)s.") % {
            "list": "; ".join(
                f"{v.channel.name} {local_time(v.scheduled_at, member)}"
                for v in done
                if v.scheduled_at
            )
        }
    return _("Saved as a draft. Schedule it or ask for approval below.")


@workspace_view(Perm.CONTENT_EDIT)
def compose(request: WorkspaceRequest) -> HttpResponse:
    member = _member(request)
    initial = {}
    if request.GET.get("channel", "").isdigit():
        initial["channels"] = [request.GET["channel"]]
    stored, upload_problems = _store_uploads(request, member)
    form = _post_form(request, member, initial or None, stored)
    when_form = _when_form(request, member)
    texts: dict[int, str] = {}
    # "Upload" only attaches the files and shows the composer again, with each network's check.
    saving = request.method == "POST" and "upload_only" not in request.POST
    if request.method == "POST":
        valid = form.is_valid() & when_form.is_valid()
        for problem in upload_problems:
            form.add_error("media_ids", problem)
        if saving and valid and not upload_problems:
            choice = when_form.cleaned_data["when"]
            try:
                with transaction.atomic():
                    post, texts = _save(request, member, form, None)
                    try:
                        done = when.apply(
                            member,
                            _actor(request),
                            post.pk,
                            choice,
                            when_form.cleaned_data.get("at"),
                            require_approval=when_form.require_approval,
                        )
                    except ValidationError as refusal:
                        when_form.add_error(None, refusal.messages)
                        raise
            except ValidationError as error:
                if not when_form.errors:
                    _apply(form, error)
            else:
                messages.success(request, _when_done(choice, done, member))
                return redirect("publishing:post", ws=member.workspace.slug, post_id=post.pk)
    if request.method == "POST":
        texts = _variant_texts(request)
    context = _composer_context(
        member, form, None, texts, sections.posted(request.POST) if request.POST else None
    )
    context["when_form"] = when_form
    context["zone"] = when_form.zone
    failed = bool(form.errors or when_form.errors)
    return render(request, "publishing/compose.html", context, status=400 if failed else 200)


def _variants(post: Post) -> list[Variant]:
    variants = list(
        post.variants.select_related("channel", "approved_by").prefetch_related("approvals")
    )
    brand = workspace_settings.brand_of(post.workspace_id)
    for variant in variants:
        variant.report = variant_check.check_variant(  # type: ignore[attr-defined]
            variant.text, variant.channel.network, variant.ordered_media(), brand, variant.options
        )
        variant.after = editing.actions_for(variant)  # type: ignore[attr-defined]
        variant.latest_approval = next(iter(variant.approvals.all()), None)  # type: ignore[attr-defined]
    return variants


@workspace_view(Perm.CONTENT_VIEW)
def post_page(request: WorkspaceRequest, post_id: int) -> HttpResponse:
    member = _member(request)
    post = get_object_or_404(Post, pk=post_id, workspace=member.workspace)
    variants = _variants(post)
    first_media = variants[0].ordered_media() if variants else []
    if request.method == "POST" and not member.can(Perm.CONTENT_EDIT):
        raise PermissionDenied
    stored, upload_problems = _store_uploads(request, member)
    form = _post_form(
        request,
        member,
        {
            "title": post.title,
            "text": post.text,
            "campaign": post.campaign,
            "tags": ", ".join(post.tags),
            "notes": post.notes,
            "channels": [str(v.channel_id) for v in variants],
            "media_ids": [str(a.pk) for a in first_media],
        },
        stored,
    )
    texts = {v.channel_id: v.text for v in variants}
    if request.method == "POST":
        valid = form.is_valid()
        for problem in upload_problems:
            form.add_error("media_ids", problem)
        if valid and not upload_problems and "upload_only" not in request.POST:
            try:
                _saved, texts = _save(request, member, form, post.pk)
            except ValidationError as error:
                _apply(form, error)
            else:
                messages.success(request, _("Post saved."))
                return redirect("publishing:post", ws=member.workspace.slug, post_id=post.pk)
        texts = {**texts, **_variant_texts(request)}  # what was typed, not what was saved
    # Opening the post is how its failure notifications are seen.
    notifications.mark_read(request.user.pk, post.pk)
    zone = workspace_settings.zone_of(member.workspace)
    context = {
        **_composer_context(
            member,
            form,
            post,
            texts,
            sections.posted(request.POST)
            if request.method == "POST"
            else {v.channel_id: v.options for v in variants},
        ),
        "variants": variants,
        "zone": zone,
        "schedule_form": ScheduleForm(zone=zone),
        "comment_form": CommentForm(),
        "require_approval": workspace_settings.publishing_settings(
            member.workspace
        ).require_approval,
        "locked": {v.channel_id for v in variants if not v.editable},
        "variants_waiting": sum(v.state == VariantState.PENDING_APPROVAL for v in variants),
        "now_utc": timezone.now(),
    }
    with timezone.override(zone):
        return render(request, "publishing/post.html", context, status=400 if form.errors else 200)


@require_POST
@workspace_view(Perm.CONTENT_EDIT)
def check(request: WorkspaceRequest, channel_id: int) -> HttpResponse:
    """The composer's live check of one variant: the count as its network counts, every problem
    with its place, the brand's notes and a preview."""
    member = _member(request)
    channel = get_object_or_404(Channel, pk=channel_id, workspace=member.workspace)
    text = request.POST.get(f"variant-{channel.pk}", request.POST.get("text", ""))
    media_ids = _ints(request.POST.getlist("media_ids"))
    assets = {
        a.pk: a for a in MediaAsset.objects.filter(workspace=member.workspace, pk__in=media_ids)
    }
    media = [assets[i] for i in media_ids if i in assets]
    options = sections.for_check(request.POST, channel)
    report = variant_check.check_variant(
        text, channel.network, media, workspace_settings.brand_of(member.workspace.pk), options
    )
    return render(
        request,
        "publishing/_check.html",
        {
            "report": report,
            "poll": variant_options.poll_of(options),
            "first_comment": variant_options.first_comment_of(options),
            **_declared(channel.network, options),
            "channel": channel,
            "text": text,
            "media": media,
            "problems": _located(text, report.problems),
            "warnings": _located(text, report.warnings),
        },
    )


def _declared(network: str, options: dict) -> dict:
    """The options chosen, as the preview names them, and the media the rules for them take."""
    rules, _label = variant_check.rules_for(network)
    return {
        "chosen_options": post_options.chosen(rules, options),
        "media_it_takes": post_options.media_it_takes(rules and rules.for_options(options)),
    }


def _located(text: str, problems) -> list[dict]:
    located = []
    for problem in problems:
        first, last = preview.character_span(text, problem.start, problem.end)
        located.append({"problem": problem, "at": first, "to": last})
    return located


def variant_action(
    request: WorkspaceRequest,
    variant_id: int,
    action: Callable[[Variant], Any],
    done: str | Callable[[Any], str],
) -> HttpResponse:
    """Run a button's action on a variant of this workspace, then back to its post with the
    outcome: the error's words, or `done` (or `done(result)`)."""
    member = _member(request)
    variant = get_object_or_404(Variant, pk=variant_id, post__workspace=member.workspace)
    try:
        result = action(variant)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done(result) if callable(done) else done)
    return redirect("publishing:post", ws=member.workspace.slug, post_id=variant.post_id)


@require_POST
@workspace_view(Perm.CONTENT_EDIT)
def variant_submit(request: WorkspaceRequest, variant_id: int) -> HttpResponse:
    comment = request.POST.get("comment", "")
    return variant_action(
        request,
        variant_id,
        lambda v: approvals.submit_for_approval(
            _member(request), _actor(request), v.pk, comment=comment
        ),
        _("Sent for approval."),
    )


@require_POST
@workspace_view(Perm.CONTENT_APPROVE)
def variant_approve(request: WorkspaceRequest, variant_id: int) -> HttpResponse:
    comment = request.POST.get("comment", "")
    return variant_action(
        request,
        variant_id,
        lambda v: approvals.approve_variant(
            _member(request), _actor(request), v.pk, comment=comment
        ),
        lambda approved: _approved_message(request, approved),
    )


def _approved_message(request: WorkspaceRequest, variant: Variant) -> str:
    if variant.state != VariantState.SCHEDULED or variant.scheduled_at is None:
        return _("Approved.")
    return _("Approved and scheduled for %(when)s.") % {
        "when": local_time(variant.scheduled_at, _member(request))
    }


def local_time(when: datetime, member: Member) -> str:
    """A time as messages show it, in the workspace's zone ("Mon 15 Jun, 09:30")."""
    return date_format(
        when.astimezone(workspace_settings.zone_of(member.workspace)),
        "SHORT_WEEKDAY_DATETIME_FORMAT",
    )


@require_POST
@workspace_view(Perm.CONTENT_APPROVE)
def variant_changes(request: WorkspaceRequest, variant_id: int) -> HttpResponse:
    comment = request.POST.get("comment", "")
    return variant_action(
        request,
        variant_id,
        lambda v: approvals.request_changes(
            _member(request), _actor(request), v.pk, comment=comment
        ),
        _("Changes requested; the writer sees your comment."),
    )


@require_POST
@workspace_view(Perm.CONTENT_EDIT)
def variant_schedule(request: WorkspaceRequest, variant_id: int) -> HttpResponse:
    member = _member(request)
    form = ScheduleForm(request.POST, zone=workspace_settings.zone_of(member.workspace))

    def schedule(variant: Variant) -> None:
        if not form.is_valid():
            raise ValidationError(_("Choose a date and a time."))
        scheduling.schedule_variant(
            member, _actor(request), variant.pk, form.cleaned_data["scheduled_at"]
        )

    return variant_action(request, variant_id, schedule, _("Scheduled."))


@require_POST
@workspace_view(Perm.CONTENT_EDIT)
def variant_unschedule(request: WorkspaceRequest, variant_id: int) -> HttpResponse:
    return variant_action(
        request,
        variant_id,
        lambda v: scheduling.unschedule_variant(_member(request), _actor(request), v.pk),
        _("Taken off the schedule; it stays on the calendar as a plan."),
    )


@require_POST
@workspace_view(Perm.CONTENT_EDIT)
def post_schedule(request: WorkspaceRequest, post_id: int) -> HttpResponse:
    member = _member(request)
    post = get_object_or_404(Post, pk=post_id, workspace=member.workspace)
    form = ScheduleForm(request.POST, zone=workspace_settings.zone_of(member.workspace))
    if not form.is_valid():
        messages.error(request, _("Choose a date and a time."))
    else:
        try:
            scheduling.schedule_post(
                member, _actor(request), post.pk, form.cleaned_data["scheduled_at"]
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Every variant is scheduled."))
    return redirect("publishing:post", ws=member.workspace.slug, post_id=post.pk)


@require_POST
@workspace_view(Perm.CONTENT_EDIT)
def post_submit(request: WorkspaceRequest, post_id: int) -> HttpResponse:
    member = _member(request)
    post = get_object_or_404(Post, pk=post_id, workspace=member.workspace)
    try:
        sent = approvals.submit_post(
            member, _actor(request), post.pk, comment=request.POST.get("comment", "")
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("Sent for approval.") if sent else _("Nothing here needs sending for approval."),
        )
    return redirect("publishing:post", ws=member.workspace.slug, post_id=post.pk)


@require_POST
@workspace_view(Perm.CONTENT_EDIT)
def post_delete(request: WorkspaceRequest, post_id: int) -> HttpResponse:
    member = _member(request)
    post = get_object_or_404(Post, pk=post_id, workspace=member.workspace)
    try:
        posts.delete_post(member, _actor(request), post.pk)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("publishing:post", ws=member.workspace.slug, post_id=post.pk)
    messages.success(request, _("Post deleted."))
    return redirect("publishing:calendar", ws=member.workspace.slug)


@require_POST
@workspace_view(Perm.CONTENT_PUBLISH)
def variant_publish_now(request: WorkspaceRequest, variant_id: int) -> HttpResponse:
    return variant_action(
        request,
        variant_id,
        lambda v: scheduling.publish_now(_member(request), _actor(request), v.pk),
        # The toast says what will really happen: a paused channel holds the post.
        lambda v: (
            (held.held_reason(v) and held.channel_warning(v.channel))
            or _("Publishing now; this page shows the result in a moment.")
        ),
    )
