"""The API tokens page in workspace settings."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kalrav.api import tokens
from kalrav.api.forms import TokenForm
from kalrav.api.models import ApiToken
from kalrav.workspaces.access import WorkspaceRequest, workspace_view
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import Member
from kalrav.workspaces.permissions import Perm, token_roles_for


@workspace_view(Perm.TOKENS_USE)
def token_list(request: WorkspaceRequest) -> HttpResponse:
    member: Member = request.member
    form = TokenForm(
        request.POST or None, roles=token_roles_for(member.role), initial={"role": member.role}
    )
    created = None
    refused = ""
    if request.method == "POST" and form.is_valid():
        try:
            tokens.require_signed_in_session(request, token=None)
            _record, created = tokens.create_token(
                member, Actor(user=request.user), **form.cleaned_data
            )
        except PermissionDenied as error:
            refused = str(error)
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Token created. Copy it now: it will not be shown again."))
            form = TokenForm(roles=token_roles_for(member.role), initial={"role": member.role})
    records = ApiToken.objects.filter(workspace=member.workspace, user=member.user).select_related(
        "user"
    )
    context = {
        "form": form,
        "records": records,
        "created": created,
        "refused": refused,
        "section": "tokens",
    }
    status = 403 if refused else 400 if form.errors else 200
    return render(request, "api/tokens.html", context, status=status)


@require_POST
@workspace_view(Perm.TOKENS_USE)
def token_renew(request: WorkspaceRequest, token_id: int) -> HttpResponse:
    member: Member = request.member
    get_object_or_404(ApiToken, pk=token_id, workspace=member.workspace, user=member.user)
    try:
        tokens.require_signed_in_session(request, token=None)
        record = tokens.renew_token(member, Actor(user=request.user), token_id)
    except (PermissionDenied, ValidationError) as error:
        messages.error(request, " ".join(getattr(error, "messages", None) or [str(error)]))
    else:
        messages.success(
            request,
            _("Token renewed: it now works until %(date)s.")
            % {"date": date_format(timezone.localtime(record.expires_at), "DATE_FORMAT")},
        )
    return redirect("api-tokens", ws=member.workspace.slug)


@require_POST
@workspace_view(Perm.TOKENS_USE)
def token_revoke(request: WorkspaceRequest, token_id: int) -> HttpResponse:
    member: Member = request.member
    get_object_or_404(ApiToken, pk=token_id, workspace=member.workspace)
    tokens.revoke_token(member, Actor(user=request.user), token_id)
    messages.success(request, _("Token revoked. Scripts using it stop working now."))
    return redirect("api-tokens", ws=member.workspace.slug)
