"""The account capability: who a channel's credentials belong to, and renewing them.

Kept beside the other capabilities; the channels app asks for it to check a channel when it is
connected and to refresh tokens that expire.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from kalrav.connectors.base import Author

# Who owns a channel is described like any other author on the network.
AccountInfo = Author


@dataclass(frozen=True)
class RenewedCredentials:
    """Credentials after a refresh. Fields the network did not send back are kept from before,
    so a refresh that returns no new refresh token never loses the old one."""

    credentials: Mapping[str, str] = field(repr=False)
    # When the renewed credentials stop working (a refreshed 60-day token); None: unchanged.
    expires_at: datetime | None = None


@runtime_checkable
class AccountVerifier(Protocol):
    def verify(self) -> AccountInfo: ...


@runtime_checkable
class CredentialRefresher(Protocol):
    def refresh(self) -> RenewedCredentials: ...


@runtime_checkable
class ConfigReader(Protocol):
    """Settings the network itself decides (an instance's limits), read when a channel is checked
    and kept in the channel's config for the rules."""

    def read_config(self) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class Connection:
    """What an OAuth sign-in yields: `config` kept in the clear, `credentials` encrypted."""

    config: Mapping[str, Any]
    credentials: Mapping[str, str] = field(repr=False)
    account: Author
    # When the network stops honouring these credentials unless the person signs in again
    # (Meta's 60-day user token); None when it does not say.
    expires_at: datetime | None = None


@runtime_checkable
class OAuthConnect(Protocol):
    """Connecting by signing in on the network's own page instead of pasting a token.

    `oauth_start` returns the page to send the person to and what must be kept (in their session)
    until they come back; `oauth_finish` turns the code they bring back into a connection."""

    @classmethod
    def oauth_start(
        cls, server_url: str, *, redirect_uri: str, state: str
    ) -> tuple[str, dict[str, Any]]: ...

    @classmethod
    def oauth_finish(cls, kept: dict[str, Any], code: str) -> Connection: ...


@runtime_checkable
class OAuthConnectMany(Protocol):
    """One sign-in, many channels: the person signs in once (`OAuthConnect.oauth_start`) and the
    network lists every account they may connect (a person's Facebook Pages, their Instagram
    accounts); they pick which become channels. A connector with this capability also has
    OAuthConnect, whose `oauth_finish` connects the first account only."""

    @classmethod
    def oauth_finish_many(cls, kept: dict[str, Any], code: str) -> list[Connection]: ...


@dataclass(frozen=True)
class SignInRoute:
    """One way to sign in to a network that has several (Instagram: through a Facebook Page, or
    with Instagram Login); `label` is the button's words."""

    slug: str
    label: Any
    help_text: Any = ""  # who the route is for, under its button


@runtime_checkable
class OAuthRoutes(Protocol):
    """A network with several sign-in pages. The connect page offers each route; a channel's
    "Sign in again" takes the route it was connected with (`oauth_route_of` its config).
    Not a listed capability: it only refines OAuthConnect."""

    @classmethod
    def oauth_routes(cls) -> tuple[SignInRoute, ...]: ...

    @classmethod
    def oauth_route_of(cls, config: Mapping[str, Any]) -> str: ...

    @classmethod
    def oauth_start_route(
        cls, route: str, *, redirect_uri: str, state: str
    ) -> tuple[str, dict[str, Any]]: ...


# What a channel's account can do; catalogue.CAPABILITIES lists them beside base.CAPABILITIES.
ACCOUNT_CAPABILITIES: tuple[type, ...] = (
    AccountVerifier,
    CredentialRefresher,
    ConfigReader,
    OAuthConnect,
    OAuthConnectMany,
)
