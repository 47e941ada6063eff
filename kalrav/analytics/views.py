"""Analytics pages in a workspace: tracking a post's links, the conversion key."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from kalrav.analytics.conversions import services as conversions
from kalrav.analytics.links import services as links
from kalrav.analytics.models import ConversionKey
from kalrav.publishing.models import Post, Variant, VariantState
from kalrav.workspaces.access import WorkspaceRequest, workspace_view
from kalrav.workspaces.audit import Actor, record
from kalrav.workspaces.permissions import Perm

# Copy that nobody has approved yet: tracking its links changes its text, which must not
# happen behind an approval or a schedule.
TRACKABLE = (VariantState.DRAFT, VariantState.CHANGES_REQUESTED)


@require_POST
@workspace_view(Perm.CONTENT_EDIT)
def track_post_links(request: WorkspaceRequest, post_id: int) -> HttpResponse:
    member = request.member
    post = get_object_or_404(Post, pk=post_id, workspace=member.workspace)
    changed = 0
    with transaction.atomic():
        for variant in (
            Variant.objects.select_for_update().filter(post=post).select_related("channel", "post")
        ):
            if variant.state not in TRACKABLE:
                continue
            text = links.track_text(variant)
            if text != variant.text:
                variant.text = text
                variant.save(update_fields=["text"])
                changed += 1
        if changed:
            record(
                member.workspace,
                Actor(user=request.user),
                "post.links_tracked",
                post,
                {"variants": changed},
            )
    if changed:
        messages.success(
            request,
            ngettext("Links tracked in %(n)d copy.", "Links tracked in %(n)d copies.", changed)
            % {"n": changed},
        )
    else:
        messages.info(
            request,
            _(
                "No draft copy of this post has an address to track; approved or scheduled copy is left as it is."
            ),
        )
    return redirect("publishing:post", ws=member.workspace.slug, post_id=post.pk)


@workspace_view(Perm.WORKSPACE_EDIT)
def conversion_settings(request: WorkspaceRequest) -> HttpResponse:
    workspace = request.member.workspace
    secret = ""
    if request.method == "POST":
        secret = conversions.new_key(workspace)
        record(workspace, Actor(user=request.user), "conversions.key_created", workspace)
    base = request.build_absolute_uri("/")[:-1]
    context = {
        "secret": secret,
        "has_key": ConversionKey.objects.filter(workspace=workspace).exists(),
        "server_endpoint": base
        + reverse("analytics:conversion-server", kwargs={"workspace_slug": workspace.slug}),
        "page_endpoint": base
        + reverse("analytics:conversion-page", kwargs={"workspace_slug": workspace.slug}),
        "script_url": base + "/static/kalrav/conversions.js",
        "days": conversions.attribution_window().days,
        "section": "conversions",
    }
    return render(request, "analytics/conversion_settings.html", context)
