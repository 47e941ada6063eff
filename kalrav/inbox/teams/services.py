"""Teams and routing rules: creating a team and changing its targets, its own calendar, its
members and its hand-off ways; adding and removing the rules that route to it."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kalrav.hooks.models import Endpoint
from kalrav.inbox.models import RoutingRule, Team
from kalrav.workspaces import audit
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import Member
from kalrav.workspaces.permissions import Perm

KEEP = object()  # "leave as it is", where None means "none"
FIELDS = (
    "name",
    "email",
    "first_response_minutes",
    "resolution_minutes",
    "time_zone",
    "business_hours",
    "holidays",
    "handoff_endpoint",
)


def check_zone(name: str) -> str:
    name = name.strip()
    if name:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationError(
                {"time_zone": _("Unknown time zone; write it as Europe/Athens.")}
            ) from None
    return name


@transaction.atomic
def update_team(
    member: Member,
    actor: Actor,
    team_id: int,
    *,
    member_ids: Sequence[int] | None = None,
    handoff_endpoint_id: int | object | None = KEEP,
    **fields,
) -> Team:
    """Change the given fields; conversations that arrive (or move to the team) from now on
    count on the new targets and calendar."""
    if not member.can(Perm.WORKSPACE_EDIT):
        raise PermissionDenied(_("Your role does not allow this."))
    team = Team.objects.select_for_update().get(pk=team_id, workspace_id=member.workspace_id)
    unknown = set(fields) - (set(FIELDS) - {"handoff_endpoint"})
    if unknown:
        raise ValidationError(_("Unknown team fields: %(f)s") % {"f": ", ".join(sorted(unknown))})
    before = audit.snapshot(team, FIELDS)
    before["members"] = sorted(team.members.values_list("pk", flat=True))
    if "name" in fields:
        name = fields["name"].strip()
        if not name:
            raise ValidationError({"name": _("Give the team a name.")})
        clash = Team.objects.filter(workspace_id=member.workspace_id, name__iexact=name)
        if clash.exclude(pk=team.pk).exists():
            raise ValidationError({"name": _("A team of that name exists already.")})
        fields["name"] = name
    if "time_zone" in fields:
        fields["time_zone"] = check_zone(fields["time_zone"])
    for field, value in fields.items():
        setattr(team, field, value)
    if handoff_endpoint_id is not KEEP:
        chosen = None
        if handoff_endpoint_id is not None:
            chosen = Endpoint.objects.filter(
                pk=int(handoff_endpoint_id),  # type: ignore[call-overload]
                workspace_id=member.workspace_id,
            ).first()
            if chosen is None:
                raise ValidationError(
                    {"handoff_endpoint": _("Choose an endpoint of this workspace.")}
                )
        team.handoff_endpoint = chosen
    team.full_clean(exclude=["workspace", "members"])
    team.save()
    if member_ids is not None:
        people = set(
            Member.objects.filter(
                workspace_id=member.workspace_id, user_id__in=member_ids
            ).values_list("user_id", flat=True)
        )
        if people != set(member_ids):
            raise ValidationError({"members": _("Choose members of this workspace.")})
        team.members.set(sorted(people))
    after = audit.snapshot(team, FIELDS)
    after["members"] = sorted(team.members.values_list("pk", flat=True))
    changes = audit.diff(before, after)
    if changes:
        audit.record(member.workspace, actor, "team.update", team, changes)
    return team


@transaction.atomic
def create_team(
    member: Member,
    actor: Actor,
    *,
    name: str,
    email: str,
    first_response_minutes: int,
    resolution_minutes: int | None = None,
) -> Team:
    member.require(Perm.WORKSPACE_EDIT)
    if Team.objects.filter(workspace_id=member.workspace_id, name__iexact=name.strip()).exists():
        raise ValidationError({"name": _("A team of that name exists already.")})
    team = Team.objects.create(
        workspace=member.workspace,
        name=name.strip(),
        email=email,
        first_response_minutes=first_response_minutes,
        resolution_minutes=resolution_minutes or Team._meta.get_field("resolution_minutes").default,
    )
    audit.record(member.workspace, actor, "team.create", team, {"name": [None, team.name]})
    return team


@transaction.atomic
def create_rule(member: Member, actor: Actor, **fields) -> RoutingRule:
    member.require(Perm.WORKSPACE_EDIT)
    team_id = int(fields.pop("team")) if fields.get("team") else None
    if (
        team_id is not None
        and not Team.objects.filter(pk=team_id, workspace_id=member.workspace_id).exists()
    ):
        raise ValidationError({"team": _("Choose a team of this workspace.")})
    priority = fields.pop("priority", "")
    last = (
        RoutingRule.objects.filter(workspace_id=member.workspace_id).order_by("-position").first()
    )
    rule = RoutingRule.objects.create(
        workspace=member.workspace,
        position=(last.position + 1) if last else 0,
        team_id=team_id,
        priority=int(priority) if priority not in ("", None) else None,
        **fields,
    )
    audit.record(member.workspace, actor, "rule.create", rule, {"name": [None, rule.name]})
    return rule


@transaction.atomic
def delete_rule(member: Member, actor: Actor, rule_id: int) -> None:
    member.require(Perm.WORKSPACE_EDIT)
    rule = RoutingRule.objects.get(pk=rule_id, workspace_id=member.workspace_id)
    audit.record(member.workspace, actor, "rule.delete", rule, {"name": [rule.name, None]})
    rule.delete()
