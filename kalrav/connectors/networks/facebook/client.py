"""Meta's Graph API over Kalrav's own HTTP client (kalrav/connectors/http.py), shared by the
Facebook Pages and Instagram connectors.

Why not the facebook-business SDK at run time: it sends through `requests` with no timeout (a
hung upload would hold a publish lease forever), keeps its token in a process-wide default
session, and knows nothing of Meta's usage headers. Kalrav's client gives timeouts, the address
guard and typed errors; the SDK is used in the tests to check the field names Kalrav asks for.

Meta answers most failures with HTTP 400 and a JSON `error` whose `code` and `error_subcode` say
what happened (https://developers.facebook.com/docs/graph-api/guides/error-handling/), so the
status alone cannot be trusted: every answer is read here and turned into the error that says
whether trying again is worthwhile. After every call the usage headers (X-App-Usage for the app,
X-Business-Use-Case-Usage for a Page or an Instagram account;
https://developers.facebook.com/docs/graph-api/overview/rate-limiting/) are read into `usage`,
and once they say the budget is nearly spent the client refuses calls itself until Meta's
estimated time to regain access has passed, instead of running into the throttle, which Meta
lengthens for apps that keep calling.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from kalrav.connectors.errors import (
    AuthExpired,
    ConnectorError,
    RateLimited,
    Rejected,
    Transient,
)
from kalrav.connectors.http import MAX_RETRY_AFTER, HttpClient, backoff, server_message

GRAPH_VERSION = "v23.0"
GRAPH_URL = "https://graph.facebook.com"

# Error codes, from Meta's error-handling and rate-limiting guides.
AUTH_CODES = frozenset({102, 190})
# 458 app removed, 459 checkpoint, 460 password changed, 463 expired, 464 unconfirmed user,
# 467 invalid (logged out), 492 no longer an admin of the Page.
AUTH_SUBCODES = frozenset({458, 459, 460, 463, 464, 467, 492})
# 4 app, 17 user, 32 Page, 613 custom limit, 80001.. Business Use Case limits (Pages 80001,
# Instagram 80002, Messenger 80006...).
RATE_CODES = frozenset({4, 17, 32, 613}) | frozenset(range(80001, 80015))
TRANSIENT_CODES = frozenset({1, 2})
# The usage share past which the client stops calling by itself, in percent. Meta throttles at
# 100; the margin leaves room for the calls other workers have already sent.
USAGE_CEILING = 95.0
# When a header says the budget is spent but not when it comes back: Meta's windows roll over
# one hour, and a quarter of it usually frees enough.
DEFAULT_COOL_DOWN = 15 * 60.0
GET_RETRIES = 2
# Where an absolute address in Meta's answers may send the token: the Graph API and the
# resumable upload host for reels and videos.
TRUSTED_HOSTS = frozenset(
    {"graph.facebook.com", "rupload.facebook.com", "graph-video.facebook.com"}
)


def graph_url() -> str:
    """Meta's Graph API (setting KALRAV_META_GRAPH_URL): graph.facebook.com, unless a stand-in
    Meta or a proxy is meant. Read at call time, so tests and operators can point it elsewhere."""
    return str(getattr(settings, "META_GRAPH_URL", "") or GRAPH_URL).rstrip("/")


def appsecret_proof(access_token: str, app_secret: str) -> str:
    """HMAC-SHA256 of the token keyed with the app secret, in hex: with "Require App Secret"
    switched on, Meta refuses calls without it, so a leaked token alone is useless."""
    return hmac.new(
        app_secret.encode("utf-8"), access_token.encode("utf-8"), hashlib.sha256
    ).hexdigest()


# --- Usage ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Usage:
    """What the last answer's usage headers said: the highest share of any budget used (percent)
    and Meta's estimate of when access comes back if it is spent (seconds; 0 when not given)."""

    percent: float = 0.0
    regain_seconds: float = 0.0
    read_at: float = 0.0

    @classmethod
    def read(cls, headers: Mapping[str, str], now: float) -> Usage | None:
        shares: list[float] = []
        regain = 0.0
        for name in ("x-app-usage", "x-page-usage"):
            found = _json_header(headers, name)
            if isinstance(found, dict):
                shares.extend(_shares(found))
                regain = max(regain, _minutes(found) * 60)
        business = _json_header(headers, "x-business-use-case-usage")
        if isinstance(business, dict):
            for entries in business.values():
                for entry in entries if isinstance(entries, list) else ():
                    if isinstance(entry, dict):
                        shares.extend(_shares(entry))
                        regain = max(regain, _minutes(entry) * 60)
        if not shares and not regain:
            return None
        return cls(max(shares, default=0.0), min(regain, MAX_RETRY_AFTER), now)

    def blocked_until(self) -> float:
        """Until when no call should go out; 0 when calls may go."""
        if self.percent < USAGE_CEILING:
            return 0.0
        return self.read_at + (self.regain_seconds or DEFAULT_COOL_DOWN)


def _json_header(headers: Mapping[str, str], name: str) -> Any:
    value = headers.get(name)
    if not value:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return None


def _shares(entry: Mapping[str, Any]) -> list[float]:
    found = []
    for key in ("call_count", "total_cputime", "total_time"):
        try:
            found.append(float(entry[key]))
        except (KeyError, TypeError, ValueError):
            continue
    return found


def _minutes(entry: Mapping[str, Any]) -> float:
    try:
        return max(float(entry.get("estimated_time_to_regain_access") or 0), 0.0)
    except (TypeError, ValueError):
        return 0.0


# --- Errors --------------------------------------------------------------------------------------


def graph_error(response: httpx.Response, usage: Usage | None, now: float) -> ConnectorError | None:
    """The typed error an answer stands for, from Meta's `error` object; None for a success."""
    try:
        body = response.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if response.status_code < 400 and not isinstance(error, dict):
        return None
    if not isinstance(error, dict):
        message = server_message(response)
        if response.status_code >= 500:
            return Transient(
                _("Meta is unavailable (HTTP %(status)d).") % {"status": response.status_code}
            )
        if response.status_code == 401:
            return AuthExpired(message)
        if response.status_code == 429:
            return RateLimited(message, retry_after=DEFAULT_COOL_DOWN)
        return Rejected(message)
    code = _int(error.get("code"))
    subcode = _int(error.get("error_subcode"))
    # error_user_msg is written for the person using the app; message is for the developer.
    message = str(error.get("error_user_msg") or error.get("message") or "").strip()
    message = message or _("Meta refused the request (code %(code)d).") % {"code": code}
    if code in AUTH_CODES or subcode in AUTH_SUBCODES:
        return AuthExpired(
            _("Meta no longer accepts this sign-in: %(reason)s") % {"reason": message}
        )
    if code in RATE_CODES:
        wait = usage.regain_seconds if usage and usage.regain_seconds else DEFAULT_COOL_DOWN
        return RateLimited(
            _("Meta's rate limit: %(reason)s") % {"reason": message}, retry_after=wait
        )
    if code in TRANSIENT_CODES or error.get("is_transient") is True or response.status_code >= 500:
        return Transient(_("Meta could not answer now: %(reason)s") % {"reason": message})
    return Rejected(message)


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


# --- The client ----------------------------------------------------------------------------------


class GraphClient:
    """Calls as one token (a user's or a Page's). Paths are relative to the Graph version
    ("me/accounts", "/123/feed"); an absolute https URL (a paging `next` link, a resumable
    upload address) is used as given."""

    def __init__(
        self,
        access_token: str,
        *,
        app_secret: str = "",
        base_url: str = "",  # "" is graph_url()
        timeout: float = 30,
        http: HttpClient | None = None,
        http_options: Mapping[str, Any] | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        shared_budget: bool = False,
    ) -> None:
        self.access_token = access_token
        # With `shared_budget`, a spent budget is remembered in Django's cache (per token) until
        # Meta's time to regain access, so the next task's client waits too, in any worker.
        self.shared_budget = shared_budget
        self.app_secret = app_secret
        self.base_url = (base_url or graph_url()).rstrip("/")
        self.clock = clock
        self.sleep = sleep
        self._owns_http = http is None
        # Retries are done here (Meta's transient errors come as HTTP 400 too), not by HttpClient.
        self.http = http or HttpClient(
            timeout=httpx.Timeout(timeout, connect=10.0), retries=0, **dict(http_options or {})
        )
        self.usage = Usage()

    # --- the calls ---------------------------------------------------------------------------

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return self.call("GET", path, params=params)

    def post(
        self,
        path: str,
        data: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        return self.call("POST", path, data=data, files=files)

    def delete(self, path: str) -> dict[str, Any]:
        return self.call("DELETE", path)

    def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """The JSON answer of one request, a GET retried after a transient failure; a
        ConnectorError when Meta refused it or the usage budget is spent."""
        attempt = 0
        while True:
            self._check_budget()
            try:
                return self._once(method, path, params, data, files, content, headers)
            except Transient as error:
                if method != "GET" or attempt >= GET_RETRIES:
                    raise
                self.sleep(min(error.retry_after or backoff(attempt, 1.0), 30.0))
                attempt += 1

    def _budget_key(self) -> str:
        digest = hashlib.sha256(self.access_token.encode("utf-8")).hexdigest()[:32]
        return f"kalrav:graph-budget:{digest}"

    def _remembered(self) -> float:
        if not (self.shared_budget and self.access_token):
            return 0.0
        try:
            return float(cache.get(self._budget_key()) or 0.0)
        except Exception:  # a cache that is down must not stop publishing
            return 0.0

    def _remember(self, until: float, now: float) -> None:
        if not (self.shared_budget and self.access_token) or until <= now:
            return
        try:
            cache.set(self._budget_key(), until, timeout=int(until - now) + 1)
        except Exception:  # as above: the budget in memory still holds for this client
            return

    def _check_budget(self) -> None:
        until = max(self.usage.blocked_until(), self._remembered())
        now = self.clock()
        if until > now:
            raise RateLimited(
                _("Kalrav has used %(percent)d%% of Meta's call budget; waiting until it frees.")
                % {"percent": int(self.usage.percent)},
                retry_after=until - now,
            )

    def _once(self, method, path, params, data, files, content, headers) -> dict[str, Any]:
        query = {key: _form_value(value) for key, value in dict(params or {}).items()}
        if self.app_secret and self.access_token and "appsecret_proof=" not in path:
            query["appsecret_proof"] = appsecret_proof(self.access_token, self.app_secret)
        sent_headers = dict(headers or {})
        if self.access_token:  # the token exchange itself goes without one
            sent_headers.setdefault("Authorization", f"Bearer {self.access_token}")
        form = {key: _form_value(value) for key, value in dict(data or {}).items()} or None
        target = httpx.URL(self.url(path))
        if target.query and query:
            # httpx replaces an address's own query with `params`: a paging `next` link would
            # lose its cursor and read the first page again.
            target, query = target.copy_merge_params(query), {}
        response = self.http.send_once(
            method,
            str(target),
            params=query or None,
            data=form,
            files=files,
            content=content,
            headers=sent_headers,
        )
        now = self.clock()
        usage = Usage.read(response.headers, now)
        if usage is not None:
            self.usage = usage
            self._remember(usage.blocked_until(), now)
        error = graph_error(response, usage, now)
        if error is not None:
            raise error
        if not response.content:
            return {}
        try:
            answer = response.json()
        except ValueError:
            raise Transient(_("Meta answered with something other than JSON.")) from None
        # Some calls answer a bare `true` (hiding a comment); they are wrapped like Meta's
        # documented {"success": true}.
        return answer if isinstance(answer, dict) else {"success": answer}

    def url(self, path: str) -> str:
        """An absolute address comes from Meta's own answers (a paging `next` link, an upload
        address); the token goes with the request, so only Meta's API hosts are accepted."""
        if not path.startswith(("https://", "http://")):
            return f"{self.base_url}/{GRAPH_VERSION}/{path.lstrip('/')}"
        given, base = httpx.URL(path), httpx.URL(self.base_url)
        host = given.host
        # The configured Graph address itself (a stand-in may be plain http) or Meta's hosts.
        own = (given.scheme, host, given.port) == (base.scheme, base.host, base.port)
        if not own and (given.scheme != "https" or host not in TRUSTED_HOSTS):
            raise Rejected(
                _("Meta pointed to %(host)s, which is not one of its API hosts.") % {"host": host}
            )
        return path

    # --- lifetime ----------------------------------------------------------------------------

    def close(self) -> None:
        if self._owns_http:
            self.http.close()

    def __enter__(self) -> GraphClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _form_value(value: Any) -> str:
    """Graph takes nested values (attached_media, recipient) as JSON strings."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, separators=(",", ":"))
    return str(value)
