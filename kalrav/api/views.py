"""The API tokens page in workspace settings."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kalrav.api import tokens
from kalrav.api.forms import TokenForm
from kalrav.api.models import ApiToken
from kalrav.workspaces.access import workspace_view
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import Member
from kalrav.workspaces.permissions import Perm, token_roles_for


@workspace_view(Perm.TOKENS_USE)
def token_list(request: HttpRequest) -> HttpResponse:
    member: Member = request.member  # type: ignore[attr-defined]
    form = TokenForm(
        request.POST or None, roles=token_roles_for(member.role), initial={"role": member.role}
    )
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            _record, created = tokens.create_token(
                member, Actor(user=request.user), **form.cleaned_data
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Token created. Copy it now: it will not be shown again."))
            form = TokenForm(roles=token_roles_for(member.role), initial={"role": member.role})
    records = ApiToken.objects.filter(workspace=member.workspace, user=member.user)
    context = {"form": form, "records": records, "created": created, "section": "tokens"}
    return render(request, "api/tokens.html", context, status=400 if form.errors else 200)


@require_POST
@workspace_view(Perm.TOKENS_USE)
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    member: Member = request.member  # type: ignore[attr-defined]
    get_object_or_404(ApiToken, pk=token_id, workspace=member.workspace)
    tokens.revoke_token(member, Actor(user=request.user), token_id)
    messages.success(request, _("Token revoked. Scripts using it stop working now."))
    return redirect("api-tokens", ws=member.workspace.slug)
