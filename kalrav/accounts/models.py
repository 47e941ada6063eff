from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields) -> User:
        if not email:
            raise ValueError("email is required")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> User:
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username or "")


class User(AbstractUser):
    """A person who signs in. Email is the login; what they may do lives on their memberships."""

    username = None  # type: ignore[assignment,misc]
    email = models.EmailField(_("email"), unique=True)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, blank=True)
    totp_secret = models.TextField(blank=True, help_text="Fernet-encrypted TOTP seed")
    totp_confirmed_at = models.DateTimeField(null=True, blank=True)
    totp_last_step = models.BigIntegerField(
        default=0, help_text="last accepted time step, so a code works once"
    )
    credentials_changed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="when the password or two-factor sign-in last changed; older API tokens stop",
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []  # type: ignore[var-annotated]

    objects = UserManager()  # type: ignore[misc,assignment]

    def save(self, *args, **kwargs) -> None:
        # set_password() leaves the new password in _password until saved; Django's rehashing of
        # an unchanged password on sign-in clears it first, so only a real change lands here.
        if self._password is not None and self.pk is not None:  # type: ignore[attr-defined]
            self.credentials_changed_at = timezone.now()
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "credentials_changed_at"}
        super().save(*args, **kwargs)

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.email

    @property
    def has_two_factor(self) -> bool:
        return self.totp_confirmed_at is not None
