from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kalrav.workspaces.models import Workspace
from kalrav.workspaces.permissions import Role


class ApiToken(models.Model):
    """A personal token for the REST API, bound to one workspace and acting with one role.

    Only a SHA-256 of the token is stored; the token itself is shown once, at creation.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=80)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    prefix = models.CharField(
        max_length=12, help_text="first characters, to recognise a token in lists"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def stopped_by_credentials(self) -> bool:
        """Its person changed their password or two-factor sign-in after it was made."""
        changed = self.user.credentials_changed_at  # type: ignore[attr-defined]
        return changed is not None and self.created_at < changed

    @property
    def state(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= timezone.now():
            return "expired"
        if self.stopped_by_credentials:
            return "stopped"
        return "active"

    @property
    def is_active(self) -> bool:
        return self.state == "active"
