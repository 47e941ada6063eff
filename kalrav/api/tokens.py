"""Creating, checking, renewing and revoking personal API tokens.

A token never does more than the person who made it, and never outlives their say-so:
- it is made (and renewed) by the person, signed in at a browser, with their two-factor code when
  they have one, never by another token: a leaked token cannot spread into more tokens;
- it expires (90 days unless asked otherwise, 365 at most) and is renewed by hand;
- it stops when its person's password changes or two-factor sign-in is turned on, off or reset
  (`User.credentials_changed_at`), because those are what someone does after a compromise.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from kalrav.accounts import sessions
from kalrav.api.models import ApiToken
from kalrav.workspaces import audit
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import Member
from kalrav.workspaces.permissions import Perm, permissions_of, token_roles_for

PREFIX = "kal_"
DEFAULT_DAYS = 90
MAX_DAYS = 365


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def require_signed_in_session(request: HttpRequest, *, token: ApiToken | None) -> None:
    """Refuse unless a person is signed in at a browser (with their code if they use one)."""
    if token is not None:
        raise PermissionDenied(
            _("Tokens are created and renewed from a signed-in session, not with another token.")
        )
    if request.user.has_two_factor and not sessions.two_factor_proven(request):  # type: ignore[union-attr]
        raise PermissionDenied(
            _("Sign out, then sign in with your two-factor code to create or renew tokens.")
        )


def _check_days(days: int) -> None:
    if not 1 <= days <= MAX_DAYS:
        raise ValidationError({"days": _("A token lives between 1 and 365 days.")})


@transaction.atomic
def create_token(
    member: Member, actor: Actor, *, name: str, role: str, days: int | None = DEFAULT_DAYS
) -> tuple[ApiToken, str]:
    if not member.can(Perm.TOKENS_USE):
        raise PermissionDenied(_("Your role does not allow this."))
    name = name.strip()
    if not name:
        raise ValidationError(
            {"name": _("Name the token after what will use it, such as 'Reporting script'.")}
        )
    if role not in token_roles_for(member.role):
        raise ValidationError({"role": _("A token cannot have a role above your own.")})
    days = DEFAULT_DAYS if days is None else days
    _check_days(days)
    secret = secrets.token_urlsafe(32)
    token = f"{PREFIX}{secret}"
    now = timezone.now()
    record = ApiToken.objects.create(
        user=member.user,
        workspace=member.workspace,
        name=name[:80],
        role=role,
        prefix=token[:12],
        token_hash=_hash(token),
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    audit.record(
        member.workspace,
        actor,
        "token.create",
        record,
        {"name": [None, record.name], "role": [None, role]},
    )
    return record, token


@transaction.atomic
def renew_token(
    member: Member, actor: Actor, token_id: int, *, days: int = DEFAULT_DAYS
) -> ApiToken:
    """Give one of the member's own working tokens `days` more from now."""
    _check_days(days)
    record = (
        ApiToken.objects.select_for_update()
        .select_related("user")
        .get(pk=token_id, workspace_id=member.workspace_id)
    )
    if record.user_id != member.user_id:
        raise PermissionDenied(_("You can renew only your own tokens."))
    if not record.is_active:
        raise ValidationError(
            _("This token no longer works and cannot be renewed; create a new one.")
        )
    before = record.expires_at
    record.expires_at = timezone.now() + timedelta(days=days)
    record.save(update_fields=["expires_at"])
    audit.record(
        member.workspace,
        actor,
        "token.renew",
        record,
        {"expires_at": [before.isoformat() if before else None, record.expires_at.isoformat()]},
    )
    return record


@transaction.atomic
def revoke_token(member: Member, actor: Actor, token_id: int) -> ApiToken:
    record = ApiToken.objects.select_for_update().get(pk=token_id, workspace_id=member.workspace_id)
    if record.user_id != member.user_id and not member.can(Perm.MEMBERS_MANAGE):
        raise PermissionDenied(_("You can revoke only your own tokens."))
    if record.revoked_at is None:
        record.revoked_at = timezone.now()
        record.save(update_fields=["revoked_at"])
        audit.record(member.workspace, actor, "token.revoke", record)
    return record


def authenticate(token: str) -> tuple[ApiToken, Member] | None:
    """The token and the membership it acts through, with the token's role, or None."""
    if not token.startswith(PREFIX):
        return None
    record = (
        ApiToken.objects.select_related("workspace", "user").filter(token_hash=_hash(token)).first()
    )
    if record is None or not record.is_active or not record.user.is_active:
        return None
    member = (
        Member.objects.select_related("workspace", "user")
        .filter(workspace=record.workspace, user=record.user)
        .first()
    )
    if member is None or not permissions_of(record.role) <= permissions_of(member.role):
        # The person left or was given a smaller role: the token must not outrank them.
        return None
    now = timezone.now()
    if record.last_used_at is None or now - record.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=record.pk).update(last_used_at=now)
    member.role = record.role
    return record, member
