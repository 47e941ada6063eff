"""X API v2 over Kalrav's own HTTP client (kalrav/connectors/http.py), and the OAuth 2.0 user
session a channel keeps.

Why not an SDK: tweepy and X's `xdk` (0.10, generated from the same OpenAPI description the tests
validate against) both send through `requests` without a timeout, so a hung POST /2/tweets would
hold a publish lease forever, and both refresh OAuth 2.0 tokens by themselves, each client with
its own copy of a refresh token that X lets be used once: two workers refreshing at once would
leave one channel without a usable token. Kalrav's client gives timeouts, the address guard and
typed errors; every request the tests make is checked against X's OpenAPI description instead.

The session is JSON: the access token (2 hours), the refresh token (single use: every refresh
returns a new one) and when the access token expires. It is renewed only through the channel's
SessionKeeper (kalrav/connectors/sessions.py), which lets one renewal per channel run at a time
and keeps the new pair before the old one is forgotten.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from django.conf import settings
from django.utils.translation import gettext as _

from kalrav.connectors.errors import (
    AuthExpired,
    RateLimited,
    Rejected,
    Transient,
)
from kalrav.connectors.http import MAX_RETRY_AFTER, HttpClient, error_for, server_message
from kalrav.connectors.sessions import KeptInMemory, SessionKeeper

API_BASE = "https://api.x.com"
AUTHORIZE_URL = "https://x.com/i/oauth2/authorize"
TOKEN_PATH = "/2/oauth2/token"  # noqa: S105 - a path, not a secret
# tweet.write and media.write publish, tweet.read and users.read read the account and its
# mentions, offline.access makes X issue a refresh token (without it the channel dies in 2 hours).
SCOPES = ("tweet.read", "tweet.write", "users.read", "media.write", "offline.access")
# Asked only when the operator turned direct messages on (KALRAV_X_DIRECT_MESSAGES): an app
# whose access level lacks them would have every sign-in refused otherwise.
DM_SCOPES = ("dm.read", "dm.write")


def direct_messages() -> bool:
    return bool(getattr(settings, "X_DIRECT_MESSAGES", False))


def scopes() -> tuple[str, ...]:
    return SCOPES + DM_SCOPES if direct_messages() else SCOPES


# An access token is renewed this long before it expires, so no call leaves with one that dies
# on the way.
ACCESS_MARGIN = 300.0


def operator_app() -> tuple[str, str]:
    """The operator's X app (settings KALRAV_X_CLIENT_ID / KALRAV_X_CLIENT_SECRET)."""
    client_id = str(getattr(settings, "X_CLIENT_ID", "") or "")
    if not client_id:
        raise Rejected(
            _("X is not set up on this Kalrav: the operator must set KALRAV_X_CLIENT_ID.")
        )
    return client_id, str(getattr(settings, "X_CLIENT_SECRET", "") or "")


def api_base() -> str:
    """X's API (setting KALRAV_X_API_URL): api.x.com, unless a stand-in X or a proxy is meant."""
    return str(getattr(settings, "X_API_URL", "") or API_BASE).rstrip("/")


def authorize_endpoint() -> str:
    """X's sign-in page (setting KALRAV_X_AUTHORIZE_URL)."""
    return str(getattr(settings, "X_AUTHORIZE_URL", "") or AUTHORIZE_URL)


# --- The kept session ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_at: float  # seconds since the epoch
    user_id: str = ""

    def encode(self) -> str:
        return json.dumps(
            {
                "access_token": self.access_token,
                "refresh_token": self.refresh_token,
                "expires_at": self.expires_at,
                "user_id": self.user_id,
            }
        )

    @classmethod
    def decode(cls, session: str) -> Tokens | None:
        try:
            data = json.loads(session) if session else None
            if not isinstance(data, dict):
                return None
            return cls(
                str(data["access_token"]),
                str(data.get("refresh_token") or ""),
                float(data.get("expires_at") or 0),
                str(data.get("user_id") or ""),
            )
        except (ValueError, KeyError, TypeError):
            return None

    def usable(self, now: float) -> bool:
        return bool(self.access_token) and self.expires_at - ACCESS_MARGIN > now

    @classmethod
    def granted(cls, answer: Mapping[str, Any], *, now: float, user_id: str = "") -> Tokens:
        """What the token endpoint answered; a refresh token it left out is an error, because
        the one sent is used up."""
        access = str(answer.get("access_token") or "")
        refresh = str(answer.get("refresh_token") or "")
        if not access or not refresh:
            raise AuthExpired(
                _("X sent no refresh token; connect the channel again with offline access.")
            )
        return cls(access, refresh, now + float(answer.get("expires_in") or 7200), user_id)


# --- OAuth 2.0 with PKCE -------------------------------------------------------------------------


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, S256 code_challenge), RFC 7636."""
    verifier = secrets.token_urlsafe(64)[:128]
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorization_url(client_id: str, *, redirect_uri: str, state: str, challenge: str) -> str:
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": " ".join(scopes()),
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    return f"{authorize_endpoint()}?{urlencode(query)}"


def _token_request(http: HttpClient, base_url: str, form: dict[str, str]) -> Mapping[str, Any]:
    client_id, client_secret = operator_app()
    form = {**form, "client_id": client_id}
    # A confidential client (one with a secret) authenticates with HTTP Basic; a public one
    # sends only its id.
    auth = httpx.BasicAuth(client_id, client_secret) if client_secret else None
    try:
        answer = http.post(f"{base_url}{TOKEN_PATH}", data=form, auth=auth).json()
    except Rejected as refused:
        # 400 invalid_grant / invalid_request: the code or refresh token is used up or revoked.
        raise AuthExpired(
            _("X refused the sign-in (%(reason)s); connect the channel again.")
            % {"reason": refused.reason}
        ) from refused
    except ValueError:
        raise Transient(_("X answered with something other than JSON.")) from None
    return answer if isinstance(answer, dict) else {}


def exchange_code(
    http: HttpClient, *, code: str, verifier: str, redirect_uri: str, base_url: str = API_BASE
) -> Tokens:
    answer = _token_request(
        http,
        base_url,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        },
    )
    return Tokens.granted(answer, now=time.time())


def refreshed(http: HttpClient, tokens: Tokens, *, base_url: str = API_BASE) -> Tokens:
    if not tokens.refresh_token:
        raise AuthExpired(_("The X channel has no session; connect it again."))
    answer = _token_request(
        http, base_url, {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token}
    )
    return Tokens.granted(answer, now=time.time(), user_id=tokens.user_id)


# --- Rate limits ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Budget:
    """What an endpoint's x-rate-limit-* headers said: requests left in the window, and when
    the window starts again (seconds since the epoch)."""

    limit: int
    remaining: int
    reset: float

    @classmethod
    def read(cls, response: httpx.Response, prefix: str = "x-rate-limit") -> Budget | None:
        try:
            return cls(
                int(response.headers[f"{prefix}-limit"]),
                int(response.headers[f"{prefix}-remaining"]),
                float(response.headers[f"{prefix}-reset"]),
            )
        except (KeyError, ValueError):
            return None


# The 24-hour limits X puts on posting, besides each endpoint's 15-minute window: per account
# (user) and per app, shown beside the endpoint they were read from.
# Kept as X's header names, untranslated: a budget's name is stored and read in any language.
DAILY = (("x-user-limit-24hour", "24-hour, user"), ("x-app-limit-24hour", "24-hour, app"))
_ID = re.compile(r"/\d+(?=/|$)")


def family(method: str, path: str) -> str:
    """The rate-limit family of a request, as X's documentation names it: ids become `:id`."""
    return f"{method} {_ID.sub('/:id', path)}"


def wait_seconds(response: httpx.Response, now: float) -> float | None:
    """How long X asks to wait: the latest reset of any exhausted window, the 15-minute endpoint
    one or the 24-hour user and app ones that limit posting."""
    resets = []
    for prefix in ("x-rate-limit", "x-user-limit-24hour", "x-app-limit-24hour"):
        remaining = response.headers.get(f"{prefix}-remaining")
        reset = response.headers.get(f"{prefix}-reset")
        if reset and (remaining is None or remaining.strip() == "0"):
            try:
                resets.append(float(reset))
            except ValueError:
                continue
    if not resets:
        return None
    return min(max(max(resets) - now, 0.0), MAX_RETRY_AFTER)


class NoAccess(Rejected):
    """X's 403 for what the app's access level (or the scopes granted) does not include."""


def _no_access(path: str, response: httpx.Response) -> bool:
    # A direct-message endpoint refuses only for access; elsewhere X says so in the problem's
    # type (client-forbidden, reason client-not-enrolled), whose words would read as a bad token.
    if path.startswith("/2/dm_"):
        return True
    try:
        problem = response.json()
    except ValueError:
        return False
    return isinstance(problem, dict) and "client-forbidden" in str(problem.get("type") or "")


# --- The signed-in client ------------------------------------------------------------------------


class XApi:
    """Calls as the channel's account. Each call takes the kept session; a session near its end,
    or refused before its end, is renewed through the keeper, once."""

    def __init__(
        self,
        http: HttpClient,
        *,
        keeper: SessionKeeper | None,
        base_url: str = API_BASE,
        clock: Callable[[], float] = time.time,
        pasted_refresh_token: str = "",
    ) -> None:
        self.http = http
        self.keeper = keeper or KeptInMemory()
        # A channel connected by pasting a refresh token has no session until its first renewal.
        self.pasted_refresh_token = pasted_refresh_token
        self.base_url = base_url
        self.clock = clock
        self.budgets: dict[str, Budget] = {}  # by "METHOD path template", for the health page

    def tokens(self, *, refused: str = "") -> Tokens:
        kept = self.keeper.kept()
        tokens = Tokens.decode(kept)
        if tokens is not None and not refused and tokens.usable(self.clock()):
            return tokens

        def needs_renewal(current: str) -> bool:
            found = Tokens.decode(current)
            return current == refused or found is None or not found.usable(self.clock())

        session = self.keeper.renew(needs_renewal, self._renewal)
        renewed = Tokens.decode(session)
        if renewed is None:
            raise AuthExpired(_("The X channel has no session; connect it again."))
        return renewed

    def _renewal(self, current: str) -> tuple[str, None]:
        tokens = Tokens.decode(current)
        if tokens is None and self.pasted_refresh_token:
            tokens = Tokens("", self.pasted_refresh_token, 0.0)
        if tokens is None:
            raise AuthExpired(_("The X channel has no session; connect it again."))
        # X publishes no lifetime for refresh tokens: None, so no renewal is queued ahead.
        return refreshed(self.http, tokens, base_url=self.base_url).encode(), None

    def call(self, method: str, path: str, *, budget: str = "", **kwargs: Any) -> Any:
        """The JSON answer of one request; a ConnectorError when X refused it."""
        tokens = self.tokens()
        name = budget or family(method, path)
        try:
            response = self._send(method, path, tokens, name, **kwargs)
        except AuthExpired:
            # Revoked, or rotated away by another worker: renew once and try again.
            tokens = self.tokens(refused=tokens.encode())
            response = self._send(method, path, tokens, name, **kwargs)
        if not response.content:
            return {}
        try:
            return response.json()
        except ValueError:
            raise Transient(_("X answered with something other than JSON.")) from None

    def _keep_budgets(self, name: str, response: httpx.Response) -> None:
        found = Budget.read(response)
        if found is not None:
            self.budgets[name] = found
        for prefix, label in DAILY:
            daily = Budget.read(response, prefix)
            if daily is not None:
                self.budgets[f"{name} ({label})"] = daily

    def _send(
        self, method: str, path: str, tokens: Tokens, budget: str, **kwargs: Any
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {tokens.access_token}"}
        response = self.http.send_once(method, f"{self.base_url}{path}", headers=headers, **kwargs)
        self._keep_budgets(budget, response)  # a 429 says the most about them
        if response.status_code == 429:
            raise RateLimited(
                _("X's rate limit: %(reason)s") % {"reason": server_message(response)},
                retry_after=wait_seconds(response, self.clock()),
            )
        if response.status_code == 403 and _no_access(path, response):
            raise NoAccess(server_message(response))
        # X's 403 (duplicate text, a suspended account, a missing scope) reads as a refusal.
        error = error_for(response)
        if error is not None:
            raise error
        return response
