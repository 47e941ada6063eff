"""Settings → Webhooks: a workspace's endpoints and their recent deliveries."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kalrav.hooks import services
from kalrav.hooks.forms import EndpointForm
from kalrav.hooks.models import Delivery, Endpoint
from kalrav.workspaces.access import WorkspaceRequest, workspace_view
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import Member
from kalrav.workspaces.permissions import Perm

RECENT = 50


def _errors_to(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


@workspace_view(Perm.WEBHOOKS_MANAGE)
def endpoints(request: WorkspaceRequest) -> HttpResponse:
    member: Member = request.member
    form = EndpointForm(request.POST or None)
    secret = None
    if request.method == "POST" and form.is_valid():
        try:
            _endpoint, secret = services.create_endpoint(
                member,
                Actor(user=request.user),
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
                description=form.cleaned_data["description"],
            )
        except ValidationError as error:
            _errors_to(form, error)
        else:
            messages.success(request, _("Endpoint added. Copy its secret now: it is shown once."))
            form = EndpointForm()
    context = {
        "form": form,
        "endpoints": Endpoint.objects.filter(workspace=member.workspace),
        "secret": secret,
        "section": "webhooks",
    }
    return render(request, "hooks/endpoints.html", context, status=400 if form.errors else 200)


@workspace_view(Perm.WEBHOOKS_MANAGE)
def endpoint(request: WorkspaceRequest, endpoint_id: int) -> HttpResponse:
    member: Member = request.member
    found = get_object_or_404(Endpoint, pk=endpoint_id, workspace=member.workspace)
    initial = {
        "url": found.url,
        "description": found.description,
        "events": found.events,
        "enabled": found.enabled,
    }
    form = EndpointForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_endpoint(
                member, Actor(user=request.user), found.pk, **form.cleaned_data
            )
        except ValidationError as error:
            _errors_to(form, error)
        else:
            messages.success(request, _("Endpoint saved."))
            return redirect("hooks:endpoint", ws=member.workspace.slug, endpoint_id=found.pk)
    context = {
        "endpoint": found,
        "form": form,
        "deliveries": found.deliveries.all()[:RECENT],
        "secret": request.session.pop("kalrav_new_webhook_secret", None),
        "section": "webhooks",
    }
    return render(request, "hooks/endpoint.html", context, status=400 if form.errors else 200)


@require_POST
@workspace_view(Perm.WEBHOOKS_MANAGE)
def endpoint_test(request: WorkspaceRequest, endpoint_id: int) -> HttpResponse:
    member: Member = request.member
    found = get_object_or_404(Endpoint, pk=endpoint_id, workspace=member.workspace)
    services.send_test(member, Actor(user=request.user), found.pk)
    messages.success(request, _("Test event sent; its outcome is in the list below."))
    return redirect("hooks:endpoint", ws=member.workspace.slug, endpoint_id=found.pk)


@require_POST
@workspace_view(Perm.WEBHOOKS_MANAGE)
def endpoint_secret(request: WorkspaceRequest, endpoint_id: int) -> HttpResponse:
    member: Member = request.member
    found = get_object_or_404(Endpoint, pk=endpoint_id, workspace=member.workspace)
    _endpoint, secret = services.rotate_secret(member, Actor(user=request.user), found.pk)
    # Shown once, on the page this redirects to, then gone from the session.
    request.session["kalrav_new_webhook_secret"] = secret
    messages.success(request, _("New secret made. Copy it now: it is shown once."))
    return redirect("hooks:endpoint", ws=member.workspace.slug, endpoint_id=found.pk)


@require_POST
@workspace_view(Perm.WEBHOOKS_MANAGE)
def endpoint_delete(request: WorkspaceRequest, endpoint_id: int) -> HttpResponse:
    member: Member = request.member
    found = get_object_or_404(Endpoint, pk=endpoint_id, workspace=member.workspace)
    services.delete_endpoint(member, Actor(user=request.user), found.pk)
    messages.success(request, _("Endpoint deleted."))
    return redirect("hooks:endpoints", ws=member.workspace.slug)


@require_POST
@workspace_view(Perm.WEBHOOKS_MANAGE)
def delivery_retry(request: WorkspaceRequest, delivery_id: int) -> HttpResponse:
    member: Member = request.member
    found = get_object_or_404(Delivery, pk=delivery_id, endpoint__workspace=member.workspace)
    services.redeliver(member, Actor(user=request.user), found.pk)
    messages.success(request, _("Sent again."))
    return redirect("hooks:endpoint", ws=member.workspace.slug, endpoint_id=found.endpoint_id)
