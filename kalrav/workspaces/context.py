from __future__ import annotations

from django.http import HttpRequest

from kalrav.workspaces.models import Member
from kalrav.workspaces.permissions import Perm, can, permissions_of


def workspace_context(request: HttpRequest) -> dict:
    member: Member | None = getattr(request, "member", None)
    if member is None:
        return {}
    role = member.role
    return {
        "workspace": member.workspace,
        "member": member,
        "can": {perm.name.lower(): can(role, perm) for perm in Perm},
        "member_perms": permissions_of(role),
        "memberships": Member.objects.filter(user=member.user)
        .select_related("workspace")
        .order_by("workspace__name"),
    }
