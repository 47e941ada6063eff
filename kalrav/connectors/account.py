"""The account capability: who a channel's credentials belong to, and renewing them.

Kept beside the other capabilities; the channels app asks for it to check a channel when it is
connected and to refresh tokens that expire.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from kalrav.connectors.base import Author

# Who owns a channel is described like any other author on the network.
AccountInfo = Author


@dataclass(frozen=True)
class RenewedCredentials:
    """Credentials after a refresh. Fields the network did not send back are kept from before,
    so a refresh that returns no new refresh token never loses the old one."""

    credentials: Mapping[str, str] = field(repr=False)


@runtime_checkable
class AccountVerifier(Protocol):
    def verify(self) -> AccountInfo: ...


@runtime_checkable
class CredentialRefresher(Protocol):
    def refresh(self) -> RenewedCredentials: ...
