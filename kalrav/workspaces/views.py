from __future__ import annotations

from datetime import datetime, time

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kalrav.accounts.forms import SignUpForm
from kalrav.accounts.language import activate_for_response
from kalrav.accounts.models import User
from kalrav.workspaces import services
from kalrav.workspaces.access import WorkspaceRequest, workspace_view
from kalrav.workspaces.audit import ACTION_LABELS, Actor
from kalrav.workspaces.forms import (
    AuditFilterForm,
    BrandProfileForm,
    InviteForm,
    WorkspaceCreateForm,
    WorkspaceForm,
)
from kalrav.workspaces.models import AuditEntry, BrandProfile, Invitation, Member
from kalrav.workspaces.permissions import Perm, Role, roles_grantable_by
from kalrav.workspaces.tasks import send_invitation_email


def _actor(request: HttpRequest) -> Actor:
    return Actor(user=request.user, via="web")


def _apply_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


@login_required
def create(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = WorkspaceCreateForm(request.POST or None, initial={"language": user.language or "en"})
    if request.method == "POST" and form.is_valid():
        try:
            workspace = services.create_workspace(user, _actor(request), **form.cleaned_data)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(
                request,
                _("Workspace created. Fill in the brand profile so everyone writes in one voice."),
            )
            return redirect("workspaces:brand-edit", ws=workspace.slug)
    return render(
        request, "workspaces/create.html", {"form": form}, status=400 if form.errors else 200
    )


@workspace_view(Perm.WORKSPACE_VIEW)
def general(request: WorkspaceRequest) -> HttpResponse:
    member: Member = request.member
    form = WorkspaceForm(request.POST or None, request.FILES or None, instance=member.workspace)
    if request.method == "POST":
        if not member.can(Perm.WORKSPACE_EDIT):
            raise PermissionDenied
        if form.is_valid():
            try:
                services.update_workspace(
                    member, _actor(request), **{f: form.cleaned_data[f] for f in form.changed_data}
                )
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                messages.success(request, _("Workspace settings saved."))
                return redirect("workspaces:general", ws=member.workspace.slug)
        member.workspace.refresh_from_db()
    return render(
        request,
        "workspaces/general.html",
        {"form": form, "section": "general"},
        status=400 if form.errors else 200,
    )


@workspace_view(Perm.MEMBERS_VIEW)
def members(request: WorkspaceRequest) -> HttpResponse:
    member: Member = request.member
    grantable = roles_grantable_by(member.role)
    form = InviteForm(request.POST or None, roles=grantable, initial={"role": Role.EDITOR})
    if request.method == "POST":
        if not member.can(Perm.MEMBERS_MANAGE):
            raise PermissionDenied
        if form.is_valid():
            try:
                invitation, _token = services.invite(member, _actor(request), **form.cleaned_data)
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                send_invitation_email(invitation.pk)
                messages.success(
                    request, _("Invitation sent to %(email)s.") % {"email": invitation.email}
                )
                return redirect("workspaces:members", ws=member.workspace.slug)
    people = (
        Member.objects.filter(workspace=member.workspace)
        .select_related("user")
        .order_by("user__email")
    )
    pending = [
        i
        for i in Invitation.objects.filter(
            workspace=member.workspace, accepted_at=None, revoked_at=None
        )
        if i.is_pending
    ]
    context = {
        "form": form,
        "people": people,
        "pending": pending,
        "grantable": [(value, label) for value, label in Role.choices if value in grantable],
        "grantable_values": grantable,
        "section": "members",
    }
    return render(request, "workspaces/members.html", context, status=400 if form.errors else 200)


@require_POST
@workspace_view(Perm.MEMBERS_MANAGE)
def member_role(request: WorkspaceRequest, member_id: int) -> HttpResponse:
    member: Member = request.member
    get_object_or_404(Member, pk=member_id, workspace=member.workspace)
    try:
        target = services.change_role(
            member, _actor(request), member_id, request.POST.get("role", "")
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("%(name)s is now %(role)s.")
            % {"name": target.user.display_name, "role": target.get_role_display()},
        )
    return redirect("workspaces:members", ws=member.workspace.slug)


@require_POST
@workspace_view(Perm.WORKSPACE_VIEW)
def member_remove(request: WorkspaceRequest, member_id: int) -> HttpResponse:
    member: Member = request.member
    get_object_or_404(Member, pk=member_id, workspace=member.workspace)
    leaving = member_id == member.pk
    try:
        services.remove_member(member, _actor(request), member_id)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("workspaces:members", ws=member.workspace.slug)
    if leaving:
        messages.success(
            request, _("You left %(workspace)s.") % {"workspace": member.workspace.name}
        )
        return redirect("web:home")
    messages.success(request, _("Member removed."))
    return redirect("workspaces:members", ws=member.workspace.slug)


@require_POST
@workspace_view(Perm.MEMBERS_MANAGE)
def invitation_revoke(request: WorkspaceRequest, invitation_id: int) -> HttpResponse:
    member: Member = request.member
    get_object_or_404(Invitation, pk=invitation_id, workspace=member.workspace)
    services.revoke_invitation(member, _actor(request), invitation_id)
    messages.success(request, _("Invitation withdrawn."))
    return redirect("workspaces:members", ws=member.workspace.slug)


@workspace_view(Perm.BRAND_VIEW)
def brand(request: WorkspaceRequest) -> HttpResponse:
    member: Member = request.member
    profile, _created = BrandProfile.objects.get_or_create(workspace=member.workspace)
    return render(request, "workspaces/brand.html", {"profile": profile, "section": "brand"})


@workspace_view(Perm.BRAND_EDIT)
def brand_edit(request: WorkspaceRequest) -> HttpResponse:
    member: Member = request.member
    profile, _created = BrandProfile.objects.get_or_create(workspace=member.workspace)
    form = BrandProfileForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_brand_profile(member, _actor(request), **form.service_fields())
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Brand profile saved."))
            return redirect("workspaces:brand", ws=member.workspace.slug)
    return render(
        request,
        "workspaces/brand_edit.html",
        {"form": form, "section": "brand"},
        status=400 if form.errors else 200,
    )


@workspace_view(Perm.AUDIT_VIEW)
def audit_log(request: WorkspaceRequest) -> HttpResponse:
    member: Member = request.member
    workspace = member.workspace
    form = AuditFilterForm(
        request.GET or None, actions=[(k, str(v)) for k, v in ACTION_LABELS.items()]
    )
    entries = AuditEntry.objects.filter(workspace=workspace).select_related("actor")
    if form.is_valid():
        data = form.cleaned_data
        zone = timezone.get_current_timezone()
        if data["action"]:
            entries = entries.filter(action=data["action"])
        if data["actor"]:
            entries = entries.filter(
                Q(actor_label__icontains=data["actor"])
                | Q(actor__first_name__icontains=data["actor"])
            )
        if data["since"]:
            entries = entries.filter(
                created_at__gte=datetime.combine(data["since"], time.min, tzinfo=zone)
            )
        if data["until"]:
            entries = entries.filter(
                created_at__lte=datetime.combine(data["until"], time.max, tzinfo=zone)
            )
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    for entry in page.object_list:
        entry.label = ACTION_LABELS.get(entry.action, entry.action)  # type: ignore[attr-defined]
    template = "workspaces/_audit_rows.html" if request.htmx else "workspaces/audit.html"
    return render(request, template, {"form": form, "page": page, "section": "audit"})


def accept(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = services.find_invitation(token)
    except services.InvitationInvalid as problem:
        return render(
            request, "workspaces/invitation_invalid.html", {"problem": str(problem)}, status=410
        )
    existing = User.objects.filter(email__iexact=invitation.email).first()
    if request.user.is_authenticated:
        if request.method == "POST":
            try:
                services.accept_invitation(token, request.user)  # type: ignore[arg-type]
            except services.InvitationInvalid as problem:
                return render(
                    request,
                    "workspaces/invitation_invalid.html",
                    {"problem": str(problem)},
                    status=400,
                )
            messages.success(
                request, _("Welcome to %(workspace)s.") % {"workspace": invitation.workspace.name}
            )
            return redirect("web:workspace-home", ws=invitation.workspace.slug)
        return render(
            request, "workspaces/invitation.html", {"invitation": invitation, "mode": "accept"}
        )
    if existing is not None:
        return render(
            request, "workspaces/invitation.html", {"invitation": invitation, "mode": "signin"}
        )
    form = SignUpForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        user = User.objects.create_user(
            invitation.email,
            form.cleaned_data["password"],
            first_name=form.cleaned_data["first_name"],
            last_name=form.cleaned_data["last_name"],
            language=form.cleaned_data["language"] or invitation.workspace.language,
        )
        services.accept_invitation(token, user)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(
            request, _("Welcome to %(workspace)s.") % {"workspace": invitation.workspace.name}
        )
        response = redirect("web:workspace-home", ws=invitation.workspace.slug)
        return activate_for_response(response, user.language)
    return render(
        request,
        "workspaces/invitation.html",
        {"invitation": invitation, "mode": "signup", "form": form},
        status=400 if form.errors else 200,
    )
