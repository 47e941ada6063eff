from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kalrav.workspaces.models import Member, Workspace
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


@receiver(post_delete, sender=Member)
def _tokens_die_with_the_membership(sender, instance: Member, **kwargs) -> None:
    """A member who leaves or is removed keeps no way in: their tokens of that workspace are
    revoked (kept, for the audit trail). A receiver, so that workspaces need not know tokens."""
    ApiToken.objects.filter(
        workspace_id=instance.workspace_id, user_id=instance.user_id, revoked_at=None
    ).update(revoked_at=timezone.now())
