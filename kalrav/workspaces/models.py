from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kalrav.workspaces.permissions import Perm, Role, can

TIME_ZONES = sorted(zoneinfo.available_timezones() - {"Factory", "localtime"})


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("Choose a time zone from the list, such as Asia/Kolkata."))


class Workspace(models.Model):
    """One brand or one agency client; everything else belongs to exactly one workspace."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("address"), max_length=60, unique=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="UTC", validators=[validate_time_zone]
    )
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="en"
    )
    logo = models.ImageField(_("logo"), upload_to="logos/", blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Member(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "user"], name="one_membership_per_workspace"
            )
        ]
        ordering = ["workspace", "user__email"]

    def __str__(self) -> str:
        return f"{self.user} ({self.role}) in {self.workspace}"

    def can(self, perm: Perm) -> bool:
        return can(self.role, perm)

    def require(self, perm: Perm) -> None:
        """Refuse (PermissionDenied) what this member's role does not allow."""
        if not self.can(perm):
            raise PermissionDenied(_("Your role does not allow this."))


class Invitation(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("email"))
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    # The link's token, encrypted, only until the email is sent: the queue then carries the
    # invitation's id, never a secret (its storage is a file, or Redis).
    sealed_token = models.TextField(blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} → {self.workspace}"

    @property
    def is_pending(self) -> bool:
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at > timezone.now()
        )


class BrandProfile(models.Model):
    """What a manager must know of the company: who it is, how it speaks, where it stands."""

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="brand")
    mission = models.TextField(_("mission"), blank=True)
    vision = models.TextField(_("vision"), blank=True)
    history = models.TextField(_("history"), blank=True)
    values = models.TextField(_("values"), blank=True)
    voice = models.TextField(_("voice and tone"), blank=True)
    audience = models.TextField(_("audience"), blank=True)
    strengths = models.TextField(_("strengths"), blank=True)
    weaknesses = models.TextField(_("weaknesses"), blank=True)
    opportunities = models.TextField(_("opportunities"), blank=True)
    threats = models.TextField(_("threats"), blank=True)
    banned_words = models.JSONField(_("banned words"), default=list, blank=True)
    required_hashtags = models.JSONField(_("required hashtags"), default=list, blank=True)
    network_notes = models.JSONField(_("notes per network"), default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    TEXT_FIELDS = (
        "mission", "vision", "history", "values", "voice", "audience",
        "strengths", "weaknesses", "opportunities", "threats",
    )  # fmt: skip

    def __str__(self) -> str:
        return f"Brand profile of {self.workspace}"


class AuditEntry(models.Model):
    """Who changed what in a workspace, and when; written by the services, never edited."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="audit_entries")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(
        max_length=200, help_text="who acted, kept when the account is gone"
    )
    via = models.CharField(max_length=16, default="web", help_text="web, api, command or system")
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["workspace", "-created_at"], name="audit_ws_time")]

    def __str__(self) -> str:
        return f"{self.actor_label} {self.action} {self.object_repr}"
