"""A workspace's publishing settings (the approval rules), and the brand profile and time zone the
publishing services read."""

from __future__ import annotations

import zoneinfo

from django.db import transaction

from kalrav.publishing.models import WorkspacePublishingSettings
from kalrav.workspaces import audit
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import BrandProfile, Member, Workspace
from kalrav.workspaces.permissions import Perm


def zone_of(workspace: Workspace) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(workspace.time_zone)


def publishing_settings(workspace: Workspace | int) -> WorkspacePublishingSettings:
    workspace_id = workspace if isinstance(workspace, int) else workspace.pk
    found, _created = WorkspacePublishingSettings.objects.get_or_create(workspace_id=workspace_id)
    return found


def brand_of(workspace_id: int) -> BrandProfile | None:
    return BrandProfile.objects.filter(workspace_id=workspace_id).first()


@transaction.atomic
def update_publishing_settings(
    member: Member, actor: Actor, *, require_approval: bool, reapprove_after_edit: bool
) -> WorkspacePublishingSettings:
    member.require(Perm.WORKSPACE_EDIT)
    found = publishing_settings(member.workspace)
    fields = ("require_approval", "reapprove_after_edit")
    before = audit.snapshot(found, fields)
    found.require_approval = bool(require_approval)
    found.reapprove_after_edit = bool(reapprove_after_edit)
    found.save()
    changes = audit.diff(before, audit.snapshot(found, fields))
    if changes:
        audit.record(member.workspace, actor, "publishing.settings", found, changes)
    return found
