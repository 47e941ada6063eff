"""The media library: upload (checked by content), alternative text, reuse, deletion."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kalrav.publishing.media import library
from kalrav.publishing.media.forms import MediaUploadForm
from kalrav.publishing.models import MediaAsset
from kalrav.workspaces.access import WorkspaceRequest, workspace_view
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import Member
from kalrav.workspaces.permissions import Perm


@workspace_view(Perm.CONTENT_VIEW)
def media_library(request: WorkspaceRequest) -> HttpResponse:
    member: Member = request.member
    form = MediaUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if not member.can(Perm.CONTENT_EDIT):
            raise PermissionDenied
        if form.is_valid():
            try:
                asset = library.upload_media(
                    member,
                    Actor(user=request.user),
                    form.cleaned_data["file"],
                    alt_text=form.cleaned_data["alt_text"],
                )
            except ValidationError as error:
                for problem in error.message_dict.get("file", error.messages):
                    form.add_error("file", problem)
            else:
                messages.success(request, _("%(name)s is in the library.") % {"name": asset})
                return redirect("publishing:media", ws=member.workspace.slug)
    assets = MediaAsset.objects.filter(workspace=member.workspace).annotate(
        uses=Count("variants", distinct=True)
    )
    return render(
        request,
        "publishing/media.html",
        {"form": form, "assets": assets, "nav": "calendar"},
        status=400 if form.errors else 200,
    )


@require_POST
@workspace_view(Perm.CONTENT_EDIT)
def update(request: WorkspaceRequest, asset_id: int) -> HttpResponse:
    member: Member = request.member
    get_object_or_404(MediaAsset, pk=asset_id, workspace=member.workspace)
    library.update_media(
        member, Actor(user=request.user), asset_id, alt_text=request.POST.get("alt_text", "")
    )
    messages.success(request, _("Alternative text saved."))
    return redirect("publishing:media", ws=member.workspace.slug)


@require_POST
@workspace_view(Perm.CONTENT_EDIT)
def delete(request: WorkspaceRequest, asset_id: int) -> HttpResponse:
    member: Member = request.member
    get_object_or_404(MediaAsset, pk=asset_id, workspace=member.workspace)
    try:
        library.delete_media(member, Actor(user=request.user), asset_id)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Deleted from the library."))
    return redirect("publishing:media", ws=member.workspace.slug)
