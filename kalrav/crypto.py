"""Encryption at rest for secrets Kalrav must read back (TOTP seeds, channel credentials).

Keys come from KALRAV_ENCRYPTION_KEYS (comma-separated Fernet keys, newest first), so a key can
be rotated by putting a new one in front; without it one key is derived from the secret key.
"""

from __future__ import annotations

import base64
import functools
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

from kalrav.conf import ImproperlyConfiguredVariable


class DecryptionFailed(Exception):
    """The stored value was not encrypted with any configured key."""


@functools.cache
def _fernet() -> MultiFernet:
    keys: list[Fernet] = []
    for key in settings.ENCRYPTION_KEYS:
        try:
            keys.append(Fernet(key))
        except (ValueError, TypeError):
            raise ImproperlyConfiguredVariable(
                "KALRAV_ENCRYPTION_KEYS",
                "***",
                "Fernet keys (32 url-safe base64-encoded bytes each)",
            ) from None
    if not keys:
        digest = hashlib.sha256(b"kalrav-encryption:" + settings.SECRET_KEY.encode()).digest()
        keys.append(Fernet(base64.urlsafe_b64encode(digest)))
    return MultiFernet(keys)


def encrypt(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise DecryptionFailed(
            "stored secret cannot be decrypted with the configured keys"
        ) from None


def reset_keys_cache() -> None:
    _fernet.cache_clear()


def rotate(token: str) -> str:
    """Re-encrypt with the newest key (the first of KALRAV_ENCRYPTION_KEYS)."""
    try:
        return _fernet().rotate(token.encode()).decode()
    except InvalidToken:
        raise DecryptionFailed(
            "stored secret cannot be decrypted with the configured keys"
        ) from None
