"""The post page's buttons for a published variant: delete it from the network, edit its words."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kalrav.publishing.editing import services
from kalrav.publishing.models import Variant
from kalrav.publishing.views import _actor, _member, variant_action
from kalrav.workspaces.access import WorkspaceRequest, workspace_view
from kalrav.workspaces.permissions import Perm


def _act(request: WorkspaceRequest, variant_id: int, action, done: str) -> HttpResponse:
    member, actor = _member(request), _actor(request)
    return variant_action(request, variant_id, lambda v: action(member, actor, v.pk), done)


@require_POST
@workspace_view(Perm.CONTENT_PUBLISH)
def delete_published(request: WorkspaceRequest, variant_id: int) -> HttpResponse:
    if request.POST.get("confirm") != "yes":
        member = _member(request)
        variant = get_object_or_404(Variant, pk=variant_id, post__workspace=member.workspace)
        messages.error(request, _("Tick the box to confirm the deletion first."))
        return redirect("publishing:post", ws=member.workspace.slug, post_id=variant.post_id)
    return _act(
        request,
        variant_id,
        services.delete_published,
        _("Deleting it from the network; this page shows the result in a moment."),
    )


@require_POST
@workspace_view(Perm.CONTENT_PUBLISH)
def edit_published(request: WorkspaceRequest, variant_id: int) -> HttpResponse:
    text = request.POST.get("text", "")
    return _act(
        request,
        variant_id,
        lambda member, actor, pk: services.edit_published(member, actor, pk, text),
        _("Sending the new words to the network; this page shows the result in a moment."),
    )
