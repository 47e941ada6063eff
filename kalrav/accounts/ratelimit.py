"""Sign-in throttling: failures are counted per account and per client address in the cache.

The address is the one kalrav.proxies finds behind the trusted proxies (KALRAV_TRUSTED_PROXIES).
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache


def _keys(email: str, address: str) -> list[str]:
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    return [f"signin-fail:acct:{digest}", f"signin-fail:addr:{address}"]


def _address_limit() -> int:
    # An address (an office behind one NAT) gets more room than a single account.
    return settings.SIGNIN_MAX_FAILURES * 4


def is_locked(email: str, address: str) -> bool:
    account_key, address_key = _keys(email, address)
    return (cache.get(account_key, 0) >= settings.SIGNIN_MAX_FAILURES) or (
        cache.get(address_key, 0) >= _address_limit()
    )


def record_failure(email: str, address: str) -> None:
    for key in _keys(email, address):
        cache.add(key, 0, timeout=settings.SIGNIN_LOCKOUT_SECONDS)
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, timeout=settings.SIGNIN_LOCKOUT_SECONDS)
        # incr keeps the expiry on Redis but not on the database cache; set it the same on both.
        cache.touch(key, timeout=settings.SIGNIN_LOCKOUT_SECONDS)


def reset(email: str) -> None:
    cache.delete(_keys(email, "")[0])
