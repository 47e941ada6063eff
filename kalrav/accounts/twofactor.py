"""Time-based one-time passwords (RFC 6238) for two-factor sign-in."""

from __future__ import annotations

import time

import pyotp
import segno
from django.db import transaction
from django.utils import timezone

from kalrav import crypto
from kalrav.accounts.models import User

ISSUER = "Kalrav"


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    return segno.make(uri, error="m").svg_inline(scale=4, dark="#111827", light="#ffffff")


def _matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now = time.time() if now is None else now
    # One step of clock drift either way, as authenticator apps drift.
    for drift in (0, -1, 1):
        at = now + drift * totp.interval
        if totp.verify(code, for_time=int(at), valid_window=0):
            return int(at // totp.interval)
    return None


def verify_for_setup(secret: str, code: str) -> bool:
    return _matching_step(secret, code) is not None


def confirm(user: User, secret: str, code: str) -> bool:
    step = _matching_step(secret, code)
    if step is None:
        return False
    user.totp_secret = crypto.encrypt(secret)
    user.totp_confirmed_at = timezone.now()
    user.totp_last_step = step
    # Turning two-factor on (or back on after a reset) stops the API tokens made without it.
    user.credentials_changed_at = user.totp_confirmed_at
    user.save(
        update_fields=[
            "totp_secret",
            "totp_confirmed_at",
            "totp_last_step",
            "credentials_changed_at",
        ]
    )
    return True


def verify_signin(user: User, code: str) -> bool:
    """Check a sign-in code; a code is accepted once, so a shoulder-surfed code is useless."""
    if not user.has_two_factor:
        return False
    step = _matching_step(crypto.decrypt(user.totp_secret), code)
    if step is None:
        return False
    with transaction.atomic():
        updated = User.objects.filter(pk=user.pk, totp_last_step__lt=step).update(
            totp_last_step=step
        )
    return updated == 1


def disable(user: User) -> None:
    """Turn two-factor sign-in off: the first half of a reset, so API tokens stop here too."""
    user.totp_secret = ""
    user.totp_confirmed_at = None
    user.totp_last_step = 0
    user.credentials_changed_at = timezone.now()
    user.save(
        update_fields=[
            "totp_secret",
            "totp_confirmed_at",
            "totp_last_step",
            "credentials_changed_at",
        ]
    )
