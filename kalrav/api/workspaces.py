"""The API of workspaces, members, invitations and the brand profile. It sits in the API kit, not
in kalrav.workspaces, because the kit itself needs workspaces (every token acts in one): the
kit is built on workspaces, and their API on the kit.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q
from django.http import HttpRequest
from ninja import Query, Router, Schema, Status

from kalrav.api.auth import ApiRequest, caller, requires
from kalrav.api.schemas import ERRORS, perm
from kalrav.workspaces import services
from kalrav.workspaces.models import AuditEntry, BrandProfile, Invitation, Member
from kalrav.workspaces.permissions import Perm
from kalrav.workspaces.tasks import send_invitation_email

router = Router(tags=["workspaces"])


class WorkspaceOut(Schema):
    slug: str
    name: str
    time_zone: str
    language: str
    role: str
    created_at: datetime


class WorkspaceIn(Schema):
    name: str
    time_zone: str | None = None
    language: str | None = None


class WorkspacePatch(Schema):
    name: str | None = None
    time_zone: str | None = None
    language: str | None = None


class MemberOut(Schema):
    id: int
    email: str
    name: str
    role: str
    joined_at: datetime


class RoleIn(Schema):
    role: str


class InvitationIn(Schema):
    email: str
    role: str


class InvitationOut(Schema):
    id: int
    email: str
    role: str
    created_at: datetime
    expires_at: datetime


class BrandOut(Schema):
    mission: str
    vision: str
    history: str
    values: str
    voice: str
    audience: str
    strengths: str
    weaknesses: str
    opportunities: str
    threats: str
    banned_words: list[str]
    required_hashtags: list[str]
    network_notes: dict[str, str]
    updated_at: datetime


class BrandPatch(Schema):
    mission: str | None = None
    vision: str | None = None
    history: str | None = None
    values: str | None = None
    voice: str | None = None
    audience: str | None = None
    strengths: str | None = None
    weaknesses: str | None = None
    opportunities: str | None = None
    threats: str | None = None
    banned_words: list[str] | None = None
    required_hashtags: list[str] | None = None
    network_notes: dict[str, str] | None = None


class AuditOut(Schema):
    id: int
    created_at: datetime
    actor: str
    via: str
    action: str
    object_type: str
    object_id: str
    object_repr: str
    changes: dict


class AuditFilter(Schema):
    action: str | None = None
    actor: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 100
    before_id: int | None = None


def _workspace_out(member: Member) -> dict:
    ws = member.workspace
    return {
        "slug": ws.slug,
        "name": ws.name,
        "time_zone": ws.time_zone,
        "language": ws.language,
        "role": member.role,
        "created_at": ws.created_at,
    }


def _member_out(m: Member) -> dict:
    return {
        "id": m.pk,
        "email": m.user.email,
        "name": m.user.get_full_name(),
        "role": m.role,
        "joined_at": m.joined_at,
    }


@router.get("", response={200: list[WorkspaceOut], **ERRORS}, openapi_extra=perm("authenticated"))
def list_workspaces(request: HttpRequest):
    who = caller(request)
    if who.token_member is not None:
        return [_workspace_out(who.token_member)]
    return [
        _workspace_out(m) for m in Member.objects.filter(user=who.user).select_related("workspace")
    ]


@router.post("", response={201: WorkspaceOut, **ERRORS}, openapi_extra=perm("session"))
def create_workspace(request: HttpRequest, payload: WorkspaceIn):
    who = caller(request)
    if who.token is not None:
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied("A workspace token cannot create workspaces; sign in to create one.")
    workspace = services.create_workspace(who.user, who.actor, **payload.dict())  # type: ignore[arg-type]
    return Status(
        201,
        _workspace_out(
            Member.objects.select_related("workspace").get(workspace=workspace, user=who.user)
        ),
    )


@router.get("/{ws}", response={200: WorkspaceOut, **ERRORS})
@requires(Perm.WORKSPACE_VIEW)
def get_workspace(request: ApiRequest, ws: str):
    return _workspace_out(request.member)


@router.patch("/{ws}", response={200: WorkspaceOut, **ERRORS})
@requires(Perm.WORKSPACE_EDIT)
def update_workspace(request: ApiRequest, ws: str, payload: WorkspacePatch):
    who = caller(request)
    member = request.member
    member.workspace = services.update_workspace(
        member, who.actor, **payload.dict(exclude_unset=True, exclude_none=True)
    )
    return _workspace_out(member)


@router.get(
    "/{ws}/members",
    response={200: list[MemberOut], **ERRORS},
)
@requires(Perm.MEMBERS_VIEW)
def list_members(request: ApiRequest, ws: str):
    member = request.member
    return [
        _member_out(m)
        for m in Member.objects.filter(workspace=member.workspace).select_related("user")
    ]


@router.patch(
    "/{ws}/members/{member_id}",
    response={200: MemberOut, **ERRORS},
)
@requires(Perm.MEMBERS_MANAGE)
def change_role(request: ApiRequest, ws: str, member_id: int, payload: RoleIn):
    who = caller(request)
    member = request.member
    return _member_out(services.change_role(member, who.actor, member_id, payload.role))


@router.delete(
    "/{ws}/members/{member_id}",
    response={204: None, **ERRORS},
    openapi_extra=perm(Perm.MEMBERS_MANAGE),
)
def remove_member(request: HttpRequest, ws: str, member_id: int):
    who = caller(request)
    member = who.member(ws, Perm.WORKSPACE_VIEW)
    services.remove_member(member, who.actor, member_id)
    return Status(204, None)


@router.get(
    "/{ws}/invitations",
    response={200: list[InvitationOut], **ERRORS},
)
@requires(Perm.MEMBERS_MANAGE)
def list_invitations(request: ApiRequest, ws: str):
    member = request.member
    return [
        i
        for i in Invitation.objects.filter(
            workspace=member.workspace, accepted_at=None, revoked_at=None
        )
        if i.is_pending
    ]


@router.post(
    "/{ws}/invitations",
    response={201: InvitationOut, **ERRORS},
)
@requires(Perm.MEMBERS_MANAGE)
def invite(request: ApiRequest, ws: str, payload: InvitationIn):
    who = caller(request)
    member = request.member
    invitation, _token = services.invite(member, who.actor, email=payload.email, role=payload.role)
    send_invitation_email(invitation.pk)
    return Status(201, invitation)


@router.delete(
    "/{ws}/invitations/{invitation_id}",
    response={204: None, **ERRORS},
)
@requires(Perm.MEMBERS_MANAGE)
def revoke_invitation(request: ApiRequest, ws: str, invitation_id: int):
    who = caller(request)
    member = request.member
    services.revoke_invitation(member, who.actor, invitation_id)
    return Status(204, None)


@router.get("/{ws}/brand", response={200: BrandOut, **ERRORS})
@requires(Perm.BRAND_VIEW)
def get_brand(request: ApiRequest, ws: str):
    member = request.member
    return BrandProfile.objects.get_or_create(workspace=member.workspace)[0]


@router.patch("/{ws}/brand", response={200: BrandOut, **ERRORS})
@requires(Perm.BRAND_EDIT)
def update_brand(request: ApiRequest, ws: str, payload: BrandPatch):
    who = caller(request)
    member = request.member
    return services.update_brand_profile(
        member, who.actor, **payload.dict(exclude_unset=True, exclude_none=True)
    )


@router.get("/{ws}/audit", response={200: list[AuditOut], **ERRORS})
@requires(Perm.AUDIT_VIEW)
def audit(request: ApiRequest, ws: str, filters: Query[AuditFilter]):
    member = request.member
    entries = AuditEntry.objects.filter(workspace=member.workspace)
    if filters.action:
        entries = entries.filter(action=filters.action)
    if filters.actor:
        entries = entries.filter(Q(actor_label__icontains=filters.actor))
    if filters.since:
        entries = entries.filter(created_at__gte=filters.since)
    if filters.until:
        entries = entries.filter(created_at__lte=filters.until)
    if filters.before_id:
        entries = entries.filter(id__lt=filters.before_id)
    limit = max(1, min(filters.limit, 500))
    return [
        {
            "id": e.pk,
            "created_at": e.created_at,
            "actor": e.actor_label,
            "via": e.via,
            "action": e.action,
            "object_type": e.object_type,
            "object_id": e.object_id,
            "object_repr": e.object_repr,
            "changes": e.changes,
        }
        for e in entries[:limit]
    ]
