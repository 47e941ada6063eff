"""Every change to workspaces, members, invitations and brand profiles goes through here.

Each function is one transaction and writes its audit entry; views, the API and commands call
these and hold no rules of their own.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from kalrav import crypto
from kalrav.accounts.models import User
from kalrav.workspaces import audit
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import BrandProfile, Invitation, Member, Workspace
from kalrav.workspaces.permissions import Perm, Role, can, permissions_of, roles_grantable_by

WORKSPACE_FIELDS = ("name", "time_zone", "language", "logo")
BRAND_LIST_LIMIT = 200


def _require(member: Member, perm: Perm) -> None:
    if not member.can(perm):
        raise PermissionDenied(_("Your role does not allow this."))


def unique_slug(name: str) -> str:
    base = slugify(name)[:50] or "workspace"
    slug, n = base, 2
    while Workspace.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def create_workspace(
    user: User,
    actor: Actor,
    *,
    name: str,
    time_zone: str | None = None,
    language: str | None = None,
) -> Workspace:
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the workspace a name.")})
    workspace = Workspace(
        name=name,
        slug=unique_slug(name),
        time_zone=time_zone or settings.DEFAULT_WORKSPACE_TIME_ZONE,
        language=language or user.language or settings.LANGUAGE_CODE,
    )
    workspace.full_clean()
    workspace.save()
    BrandProfile.objects.create(workspace=workspace)
    Member.objects.create(workspace=workspace, user=user, role=Role.OWNER)
    audit.record(
        workspace,
        actor,
        "workspace.create",
        workspace,
        audit.diff({}, audit.snapshot(workspace, WORKSPACE_FIELDS)),
    )
    return workspace


@transaction.atomic
def update_workspace(member: Member, actor: Actor, **fields: Any) -> Workspace:
    _require(member, Perm.WORKSPACE_EDIT)
    workspace = Workspace.objects.select_for_update().get(pk=member.workspace_id)
    unknown = set(fields) - set(WORKSPACE_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be changed.") for name in unknown})
    before = audit.snapshot(workspace, WORKSPACE_FIELDS)
    for name, value in fields.items():
        setattr(workspace, name, value.strip() if isinstance(value, str) else value)
    workspace.full_clean(exclude=["slug"])
    workspace.save()
    changes = audit.diff(before, audit.snapshot(workspace, WORKSPACE_FIELDS))
    if changes:
        audit.record(workspace, actor, "workspace.update", workspace, changes)
    return workspace


def _clean_list(values: Any, field: str, *, hashtags: bool = False) -> list[str]:
    if isinstance(values, str):
        values = [v for chunk in values.splitlines() for v in chunk.split(",")]
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ValidationError({field: _("Give a list of words.")})
    cleaned: list[str] = []
    for value in values:
        value = value.strip()
        if hashtags and value and not value.startswith("#"):
            value = "#" + value
        if hashtags and any(ch.isspace() for ch in value):
            raise ValidationError(
                {field: _("A hashtag cannot contain spaces: %(tag)s") % {"tag": value}}
            )
        if value and value.casefold() not in {c.casefold() for c in cleaned}:
            cleaned.append(value)
    if len(cleaned) > BRAND_LIST_LIMIT:
        raise ValidationError(
            {field: _("Keep this list under %(n)d entries.") % {"n": BRAND_LIST_LIMIT}}
        )
    return cleaned


def _clean_notes(notes: Any) -> dict[str, str]:
    if not isinstance(notes, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in notes.items()
    ):
        raise ValidationError({"network_notes": _("Give notes as network name and text.")})
    return {k.strip().lower(): v.strip() for k, v in notes.items() if k.strip() and v.strip()}


BRAND_FIELDS = (*BrandProfile.TEXT_FIELDS, "banned_words", "required_hashtags", "network_notes")


@transaction.atomic
def update_brand_profile(member: Member, actor: Actor, **fields: Any) -> BrandProfile:
    _require(member, Perm.BRAND_EDIT)
    unknown = set(fields) - set(BRAND_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be changed.") for name in unknown})
    profile, _created = BrandProfile.objects.select_for_update().get_or_create(
        workspace_id=member.workspace_id
    )
    before = audit.snapshot(profile, BRAND_FIELDS)
    for name, value in fields.items():
        if name == "banned_words":
            value = _clean_list(value, name)
        elif name == "required_hashtags":
            value = _clean_list(value, name, hashtags=True)
        elif name == "network_notes":
            value = _clean_notes(value)
        elif not isinstance(value, str):
            raise ValidationError({name: _("Give text.")})
        else:
            value = value.strip()
        setattr(profile, name, value)
    profile.full_clean()
    profile.save()
    changes = audit.diff(before, audit.snapshot(profile, BRAND_FIELDS))
    if changes:
        audit.record(member.workspace, actor, "brand.update", profile, changes)
    return profile


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def invite(member: Member, actor: Actor, *, email: str, role: str) -> tuple[Invitation, str]:
    """Create an invitation and return it with the one-time token for its link."""
    _require(member, Perm.MEMBERS_MANAGE)
    email = email.strip().lower()
    if role not in roles_grantable_by(member.role):
        raise ValidationError({"role": _("You cannot give a role above your own.")})
    if Member.objects.filter(workspace_id=member.workspace_id, user__email__iexact=email).exists():
        raise ValidationError(
            {"email": _("%(email)s is already a member of this workspace.") % {"email": email}}
        )
    now = timezone.now()
    # A new invitation replaces an open one for the same address, so only the newest link works.
    Invitation.objects.filter(
        workspace_id=member.workspace_id, email__iexact=email, accepted_at=None, revoked_at=None
    ).update(revoked_at=now)
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        workspace_id=member.workspace_id,
        email=email,
        role=role,
        token_hash=_hash_token(token),
        sealed_token=crypto.encrypt(token),
        invited_by=actor.user,
        expires_at=now + timedelta(days=settings.INVITATION_DAYS),
    )
    invitation.full_clean()
    invitation.save()
    audit.record(
        member.workspace,
        actor,
        "invitation.create",
        invitation,
        {"email": [None, email], "role": [None, role]},
    )
    return invitation, token


def invitation_link(invitation_id: int) -> tuple[Invitation, str] | None:
    """The invitation and its link's token, for the email that carries it; None when the
    invitation is gone, no longer pending, or its email was already sent."""
    invitation = (
        Invitation.objects.select_related("workspace", "invited_by")
        .filter(pk=invitation_id)
        .first()
    )
    if invitation is None or not invitation.is_pending or not invitation.sealed_token:
        return None
    return invitation, crypto.decrypt(invitation.sealed_token)


def forget_invitation_link(invitation_id: int) -> None:
    """Once the email is out, nothing but the email holds the link."""
    Invitation.objects.filter(pk=invitation_id).update(sealed_token="")


class InvitationInvalid(Exception):
    """The link is unknown, used, withdrawn or expired; the message says which."""


def find_invitation(token: str) -> Invitation:
    invitation = (
        Invitation.objects.select_related("workspace").filter(token_hash=_hash_token(token)).first()
    )
    if invitation is None:
        raise InvitationInvalid(_("This invitation link is not valid. Ask for a new one."))
    if invitation.accepted_at is not None:
        raise InvitationInvalid(
            _("This invitation was already accepted. Sign in to open the workspace.")
        )
    if invitation.revoked_at is not None:
        raise InvitationInvalid(_("This invitation was withdrawn. Ask for a new one."))
    if invitation.expires_at <= timezone.now():
        raise InvitationInvalid(
            _("This invitation has expired. Ask the person who invited you for a new one.")
        )
    return invitation


@transaction.atomic
def accept_invitation(token: str, user: User) -> Member:
    invitation = find_invitation(token)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise InvitationInvalid(
            _("This invitation was already accepted. Sign in to open the workspace.")
        )
    if invitation.email.lower() != user.email.lower():
        raise InvitationInvalid(
            _("This invitation is for %(email)s. Sign in with that address to accept it.")
            % {"email": invitation.email}
        )
    member, _created = Member.objects.get_or_create(
        workspace=invitation.workspace, user=user, defaults={"role": invitation.role}
    )
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    actor = Actor(user=user)
    audit.record(
        invitation.workspace, actor, "invitation.accept", invitation, {"role": [None, member.role]}
    )
    return member


@transaction.atomic
def revoke_invitation(member: Member, actor: Actor, invitation_id: int) -> Invitation:
    _require(member, Perm.MEMBERS_MANAGE)
    invitation = Invitation.objects.select_for_update().get(
        pk=invitation_id, workspace_id=member.workspace_id
    )
    if invitation.accepted_at is None and invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        audit.record(member.workspace, actor, "invitation.revoke", invitation)
    return invitation


def _owners_left(workspace_id: int, excluding: int) -> int:
    return (
        Member.objects.filter(workspace_id=workspace_id, role=Role.OWNER)
        .exclude(pk=excluding)
        .count()
    )


@transaction.atomic
def change_role(member: Member, actor: Actor, target_id: int, role: str) -> Member:
    _require(member, Perm.MEMBERS_MANAGE)
    target = (
        Member.objects.select_for_update()
        .select_related("user")
        .get(pk=target_id, workspace_id=member.workspace_id)
    )
    grantable = roles_grantable_by(member.role)
    if role not in grantable or (target.role not in grantable):
        raise PermissionDenied(
            _("You cannot change the role of someone above you, or give a role above your own.")
        )
    if (
        target.role == Role.OWNER
        and role != Role.OWNER
        and _owners_left(member.workspace_id, target.pk) == 0
    ):
        raise ValidationError({"role": _("A workspace needs at least one owner.")})
    if target.role != role:
        before = target.role
        target.role = role
        target.save(update_fields=["role"])
        audit.record(member.workspace, actor, "member.role", target, {"role": [before, role]})
    return target


@transaction.atomic
def remove_member(member: Member, actor: Actor, target_id: int) -> None:
    target = (
        Member.objects.select_for_update()
        .select_related("user")
        .get(pk=target_id, workspace_id=member.workspace_id)
    )
    leaving_self = target.pk == member.pk
    if leaving_self and not permissions_of(target.role) <= permissions_of(member.role):
        # `member` carries the role of the token it acts through: a narrower token would
        # give up more than it holds (the membership, and every other token with it).
        raise PermissionDenied(
            _("Only a token with your whole role, or you signed in, can leave the workspace.")
        )
    if not leaving_self:
        _require(member, Perm.MEMBERS_MANAGE)
        if target.role not in roles_grantable_by(member.role):
            raise PermissionDenied(_("You cannot remove someone above you."))
    if target.role == Role.OWNER and _owners_left(member.workspace_id, target.pk) == 0:
        raise ValidationError({"role": _("A workspace needs at least one owner.")})
    audit.record(
        member.workspace,
        actor,
        "member.remove",
        target,
        {"email": [target.user.email, None], "role": [target.role, None]},
    )
    target.delete()  # its API tokens are revoked with it (kalrav.api.models)


def can_member(member: Member | None, perm: Perm) -> bool:
    return member is not None and can(member.role, perm)
