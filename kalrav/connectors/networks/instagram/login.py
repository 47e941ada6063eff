"""Connecting an Instagram professional account with Instagram Login (Instagram API with Instagram
Login, "Business Login for Instagram":
https://developers.facebook.com/docs/instagram-platform/instagram-api-with-instagram-login/
business-login), the alternative to going through a Facebook Page (oauth.py). It needs no Page:
the account signs in on instagram.com with the operator's Instagram app
(KALRAV_INSTAGRAM_APP_ID / _SECRET, which are not the Meta app's id and secret).

The ladder: the code is traded at api.instagram.com for a short-lived token (an hour) and the
account's id, that for a long-lived one (60 days) at graph.instagram.com, which is then refreshed
(`refresh_access_token`, allowed once the token is 24 hours old and until it expires; the refreshed
one lasts 60 days again). The API host of such a channel is graph.instagram.com.

The long-lived token and when it was issued and ends are the channel's session (connectors/
sessions.py), so a refresh goes through the channel's session keeper: one refresh per channel at
a time, and the new token is stored before the old one stops being used. A refresh that fails
stores nothing, so the old token stays.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
from django.conf import settings
from django.utils.translation import gettext as _

from kalrav.connectors.account import Connection
from kalrav.connectors.errors import AuthExpired, Rejected, Transient
from kalrav.connectors.http import HttpClient, server_message
from kalrav.connectors.networks.facebook.client import GraphClient
from kalrav.connectors.networks.instagram import mapping
from kalrav.connectors.sessions import SessionKeeper

AUTHORIZE_URL = "https://www.instagram.com/oauth/authorize"
TOKEN_URL = "https://api.instagram.com/oauth/access_token"  # noqa: S105 - an address
API_URL = "https://graph.instagram.com"
# Business Login for Instagram, "Permissions" (the instagram_business_* scope values).
SCOPES = (
    "instagram_business_basic",
    "instagram_business_content_publish",
    "instagram_business_manage_comments",
    "instagram_business_manage_messages",
)
# `user_id` is the professional account's id (the one webhooks and publishing use); `id` on
# graph.instagram.com's /me is an app-scoped id, so it is not asked for.
ME_FIELDS = ("user_id", "username", "name", "profile_picture_url", "account_type")

# The channel's config says which sign-in it came from, and so which host its token works on.
LOGIN_KEY = "login"
FACEBOOK = "facebook"
INSTAGRAM = "instagram"

LIFETIME = timedelta(days=60)  # when Meta leaves out expires_in
MIN_AGE = timedelta(hours=24)  # a younger token cannot be refreshed
REFRESH_AHEAD = timedelta(days=10)  # refreshed once this little is left


def uses_instagram_login(config: Mapping[str, Any]) -> bool:
    return str(config.get(LOGIN_KEY) or "") == INSTAGRAM


def instagram_app() -> tuple[str, str]:
    """KALRAV_INSTAGRAM_APP_ID and KALRAV_INSTAGRAM_APP_SECRET, or a refusal saying so."""
    app_id = str(getattr(settings, "INSTAGRAM_APP_ID", "") or "")
    secret = str(getattr(settings, "INSTAGRAM_APP_SECRET", "") or "")
    if not app_id or not secret:
        raise Rejected(
            _(
                "Instagram Login is not set up on this Kalrav: set KALRAV_INSTAGRAM_APP_ID and "
                "KALRAV_INSTAGRAM_APP_SECRET (see docs/networks.md)."
            )
        )
    return app_id, secret


def instagram_app_secret() -> str:
    return str(getattr(settings, "INSTAGRAM_APP_SECRET", "") or "")


# --- The session: a long-lived token and its dates ---------------------------------------------


@dataclass(frozen=True)
class Token:
    access_token: str
    issued_at: float  # Unix seconds
    expires_at: float

    def encode(self) -> str:
        return json.dumps(
            {
                "access_token": self.access_token,
                "issued_at": self.issued_at,
                "expires_at": self.expires_at,
            }
        )

    @classmethod
    def decode(cls, kept: str) -> Token | None:
        try:
            data = json.loads(kept) if kept else None
            if not isinstance(data, dict) or not data.get("access_token"):
                return None
            return cls(
                str(data["access_token"]), float(data["issued_at"]), float(data["expires_at"])
            )
        except (ValueError, TypeError, KeyError):
            return None

    @property
    def ends(self) -> datetime:
        return datetime.fromtimestamp(self.expires_at, UTC)

    def wants_refresh(self, now: float) -> bool:
        """Due (10 days or less left) and allowed (24 hours old, not yet expired)."""
        return (
            self.expires_at - now <= REFRESH_AHEAD.total_seconds()
            and now - self.issued_at >= MIN_AGE.total_seconds()
            and now < self.expires_at
        )


def _lasting(answer: Mapping[str, Any], now: float) -> Token:
    token = str(answer.get("access_token") or "")
    if not token:
        raise Transient(_("Instagram sent no access token."))
    try:
        seconds = float(answer.get("expires_in") or 0)
    except (TypeError, ValueError):
        seconds = 0
    return Token(token, now, now + (seconds if seconds > 0 else LIFETIME.total_seconds()))


# --- Signing in ----------------------------------------------------------------------------------


def start(*, redirect_uri: str, state: str) -> tuple[str, dict[str, Any]]:
    app_id, _secret = instagram_app()
    query = urlencode(
        {
            "client_id": app_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": ",".join(SCOPES),
            "state": state,
        }
    )
    return f"{AUTHORIZE_URL}?{query}", {"redirect_uri": redirect_uri, LOGIN_KEY: INSTAGRAM}


def finish(
    kept: Mapping[str, Any],
    code: str,
    *,
    http_options: Mapping[str, Any] | None = None,
    clock: Callable[[], float] = time.time,
) -> Connection:
    """The connection of the account that signed in: the code traded for a short-lived token,
    that for a long-lived one, then who the account is."""
    app_id, secret = instagram_app()
    options = dict(http_options or {})
    with HttpClient(retries=0, **options) as http:
        response = http.send_once(
            "POST",
            TOKEN_URL,
            data={
                "client_id": app_id,
                "client_secret": secret,
                "grant_type": "authorization_code",
                "redirect_uri": str(kept.get("redirect_uri") or ""),
                "code": code.removesuffix("#_"),  # Meta appends #_ to the redirect
            },
        )
    if response.status_code >= 500:
        raise Transient(_("Instagram could not take the sign-in now; try again."))
    if response.status_code >= 400:
        # A code is good once and for an hour: a used or stale one is a new sign-in.
        raise AuthExpired(
            _("Instagram refused the sign-in (%(reason)s); start again.")
            % {"reason": _refusal(response)}
        )
    try:
        short = _short_token(response.json())
    except ValueError:
        raise Transient(_("Instagram answered with something other than JSON.")) from None
    with GraphClient("", base_url=API_URL, http_options=options) as anonymous:
        long = _lasting(
            anonymous.get(
                f"{API_URL}/access_token",
                {
                    "grant_type": "ig_exchange_token",
                    "client_secret": secret,
                    "access_token": short["access_token"],
                },
            ),
            clock(),
        )
    with GraphClient(long.access_token, base_url=API_URL, http_options=options) as graph:
        me = graph.get("me", {"fields": ",".join(ME_FIELDS)})
    account = mapping.author({**me, "id": me.get("user_id") or short["user_id"]})
    return Connection(
        # No Page: a page_id kept from an earlier Facebook sign-in must not outlive this one.
        config={"ig_user_id": account.remote_id, "page_id": "", LOGIN_KEY: INSTAGRAM},
        credentials={"session": long.encode()},
        account=account,
        expires_at=long.ends,
    )


def _refusal(response: httpx.Response) -> str:
    """api.instagram.com words its refusals `{"error_type", "code", "error_message"}`."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and body.get("error_message"):
        return str(body["error_message"])
    return server_message(response)


def _short_token(answer: Any) -> dict[str, str]:
    """The code exchange answers `{"data": [{access_token, user_id, permissions}]}` (Business
    Login for Instagram, step 2); older answers had the fields at the top."""
    row = answer
    if isinstance(answer, dict) and isinstance(answer.get("data"), list) and answer["data"]:
        row = answer["data"][0]
    if not isinstance(row, dict) or not row.get("access_token"):
        raise Transient(_("Instagram sent no access token."))
    return {"access_token": str(row["access_token"]), "user_id": str(row.get("user_id") or "")}


# --- Keeping the token ---------------------------------------------------------------------------


def current(keeper: SessionKeeper, credentials: Mapping[str, str]) -> Token | None:
    """The newest token kept for the channel (a pasted token has no session: None)."""
    return Token.decode(keeper.kept()) or Token.decode(credentials.get("session", ""))


def refresh(
    keeper: SessionKeeper,
    *,
    http_options: Mapping[str, Any] | None = None,
    clock: Callable[[], float] = time.time,
    force: bool = False,
) -> Token | None:
    """Refresh the channel's token through its keeper when it is due (or, with `force`, whenever
    Meta allows it). The keeper runs one refresh per channel at a time and re-reads the stored
    token first, so a second worker finds it fresh and calls nobody. Errors propagate and
    nothing is stored: the old token stays."""
    options = dict(http_options or {})

    def needs(kept: str) -> bool:
        token = Token.decode(kept)
        if token is None:
            return False  # nothing refreshable kept
        now = clock()
        if force:
            return now - token.issued_at >= MIN_AGE.total_seconds() and now < token.expires_at
        return token.wants_refresh(now)

    def renewal(kept: str) -> tuple[str, datetime | None]:
        old = Token.decode(kept)
        assert old is not None  # `needs` said so
        with GraphClient("", base_url=API_URL, http_options=options) as anonymous:
            new = _lasting(
                anonymous.get(
                    f"{API_URL}/refresh_access_token",
                    {"grant_type": "ig_refresh_token", "access_token": old.access_token},
                ),
                clock(),
            )
        return new.encode(), new.ends

    return Token.decode(keeper.renew(needs, renewal))
