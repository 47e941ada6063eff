"""The approvals queue: every variant of the workspace waiting for a decision on one page, decided
one by one or many at once, and "Approve all" on a post's page. The decisions themselves are
approvals.py's, with its permission checks and audit entries."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from kalrav.publishing import approvals, workspace_settings
from kalrav.publishing.models import Post
from kalrav.publishing.views import _actor, _ints, _member
from kalrav.workspaces.access import WorkspaceRequest, workspace_view
from kalrav.workspaces.permissions import Perm

PAGE_SIZE = 50


@workspace_view(Perm.CONTENT_VIEW)
def approvals_page(request: WorkspaceRequest) -> HttpResponse:
    member = _member(request)
    zone = workspace_settings.zone_of(member.workspace)
    page = Paginator(approvals.awaiting(member.workspace_id), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "zone": zone,
        "now_utc": timezone.now(),
        "nav": "calendar",
        "nav_page": "approvals",
    }
    with timezone.override(zone):
        return render(request, "publishing/approvals.html", context)


def _decided_message(count: int, approve: bool) -> str:
    if approve:
        return ngettext("%(n)d variant approved.", "%(n)d variants approved.", count) % {"n": count}
    return ngettext(
        "Changes asked for on %(n)d variant.", "Changes asked for on %(n)d variants.", count
    ) % {"n": count}


@require_POST
@workspace_view(Perm.CONTENT_APPROVE)
def approvals_decide(request: WorkspaceRequest) -> HttpResponse:
    member = _member(request)
    chosen = _ints(request.POST.getlist("variant"))
    approve = request.POST.get("decision") != "changes"
    if not chosen:
        messages.error(request, _("Tick one or more variants first."))
        return redirect("publishing:approvals", ws=member.workspace.slug)
    try:
        decided = approvals.decide_many(
            member,
            _actor(request),
            chosen,
            approve=approve,
            comment=request.POST.get("comment", ""),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _decided_message(len(decided), approve))
    return redirect("publishing:approvals", ws=member.workspace.slug)


@require_POST
@workspace_view(Perm.CONTENT_APPROVE)
def post_approve_all(request: WorkspaceRequest, post_id: int) -> HttpResponse:
    member = _member(request)
    post = get_object_or_404(Post, pk=post_id, workspace=member.workspace)
    decided = approvals.approve_post(
        member, _actor(request), post.pk, comment=request.POST.get("comment", "")
    )
    if decided:
        messages.success(request, _decided_message(len(decided), True))
    else:
        messages.error(request, _("Nothing on this post is waiting for approval."))
    return redirect("publishing:post", ws=member.workspace.slug, post_id=post.pk)
