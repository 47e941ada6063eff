"""The Bot API over Kalrav's one HTTP client (kalrav.connectors.http), with Telegram's own answers
read into Kalrav's typed errors.

Telegram puts the bot token in the URL path (`/bot<token>/<method>`), so the token travels in every
request line. It is added to the URL only at the last moment (an httpx auth flow), never appears in
an error message, a repr or this module's logs, and a filter scrubs it from httpx's request log.

Every answer is `{"ok": true, "result": …}` or `{"ok": false, "error_code": N, "description": "…",
"parameters": {"retry_after": S, "migrate_to_chat_id": ID}}`; the HTTP status repeats error_code.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Generator, Mapping
from typing import Any

import httpx
from django.utils.translation import gettext as _

from kalrav.connectors.errors import AuthExpired, ConnectorError, RateLimited, Rejected, Transient
from kalrav.connectors.http import MAX_RETRY_AFTER, HttpClient

API_URL = "https://api.telegram.org"
# Long polling holds the request open for `timeout` seconds; the read timeout must outlast it.
POLL_GRACE = 10.0

# A bot token is "<bot id>:<35 characters>"; anything token-shaped after "/bot" is scrubbed.
_TOKEN_IN_PATH = re.compile(r"/bot[0-9]+:[A-Za-z0-9_-]+")
_TOKEN_SHAPE = re.compile(r"^[0-9]+:[A-Za-z0-9_-]+$")

# 403 answers that concern one person (a private chat), not the channel's credentials: the bot
# still works, only this recipient is out of reach.
_PERSONAL_403 = ("blocked by the user", "user is deactivated", "can't initiate conversation")


def redact(text: str, token: str = "") -> str:
    """Text with any bot token removed: the given one wherever it stands, any token-shaped path."""
    if token:
        text = text.replace(token, "<bot-token>")
    return _TOKEN_IN_PATH.sub("/bot<bot-token>", text)


class RedactBotToken(logging.Filter):
    """Scrubs bot tokens from log records. httpx logs every request line at INFO, which for the
    Bot API includes the token; Kalrav's root logger runs at INFO by default."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


def _install_log_filter() -> None:
    logger = logging.getLogger("httpx")
    if not any(isinstance(existing, RedactBotToken) for existing in logger.filters):
        logger.addFilter(RedactBotToken())


_install_log_filter()


def error_from_answer(status: int, body: Any) -> ConnectorError | None:
    """The typed error a Bot API answer stands for, or None when it is a success."""
    if status < 400 and isinstance(body, dict) and body.get("ok") is True:
        return None
    if not isinstance(body, dict):
        if status >= 500 or status < 400:
            return Transient(
                _("Telegram answered HTTP %(status)d without a Bot API answer.")
                % {"status": status}
            )
        body = {}
    code = body.get("error_code")
    code = code if isinstance(code, int) else status
    description = str(body.get("description") or f"HTTP {status}")
    parameters = body.get("parameters") if isinstance(body.get("parameters"), dict) else {}
    if code == 401 or code == 404:
        # 404 is what the Bot API answers for a token that is not even shaped like one.
        return AuthExpired(
            _(
                "Telegram refused the bot token (%(description)s). Create a new token with "
                "@BotFather and reconnect the channel."
            )
            % {"description": description}
        )
    if code == 403:
        if any(phrase in description.lower() for phrase in _PERSONAL_403):
            return Rejected(description)
        return AuthExpired(
            _(
                "Telegram refused the bot (%(description)s). Add the bot to the chat as an "
                "administrator again and reconnect the channel."
            )
            % {"description": description}
        )
    if code == 429:
        return RateLimited(description, retry_after=_seconds(parameters.get("retry_after")))
    if code >= 500:
        return Transient(description, retry_after=_seconds(parameters.get("retry_after")))
    migrated = parameters.get("migrate_to_chat_id")
    if migrated is not None:
        return Rejected(
            _(
                "%(description)s: the group became a supergroup; reconnect the channel with "
                "chat id %(chat_id)s."
            )
            % {"description": description, "chat_id": migrated}
        )
    if status < 400:  # HTTP 200 with "ok": false or no "ok" at all: not a Bot API answer
        return Transient(
            _("Telegram's answer could not be read: %(description)s") % {"description": description}
        )
    return Rejected(description)


def _seconds(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return min(float(value), MAX_RETRY_AFTER)
    return None


class _BotApiAuth(httpx.Auth):
    """Puts the token into the path as the request leaves, and reads the Bot API's answer into a
    typed error. Raising here is how the error reaches HttpClient, which retries safe requests
    after a Transient and raises everything else unchanged."""

    requires_response_body = True

    def __init__(self, token: str) -> None:
        self._token = token

    def __repr__(self) -> str:
        return "<_BotApiAuth token=<redacted>>"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        path = request.url.raw_path.decode("ascii")
        request.url = request.url.copy_with(
            raw_path=path.replace("/bot/", f"/bot{self._token}/", 1).encode("ascii")
        )
        response = yield request
        try:
            body = response.json()
        except ValueError:
            body = None
        error = error_from_answer(response.status_code, body)
        if error is not None:
            # Telegram never echoes the token, but a proxy in between might.
            error.message = redact(error.message, self._token)
            error.args = (error.message,)
            if isinstance(error, Rejected):
                error.reason = error.message
            raise error


class BotApi:
    """Calls Bot API methods and returns their `result`. Reads go by GET (so HttpClient retries
    them after a timeout or a 5xx); writes go by POST and are never retried here, because Telegram
    has no idempotency key and a repeated write is a second message."""

    def __init__(
        self, token: str, *, http: HttpClient | None = None, api_url: str = API_URL
    ) -> None:
        if not _TOKEN_SHAPE.match(token or ""):
            raise AuthExpired(
                _("This is not a Telegram bot token; @BotFather gives one like 123456:ABC-DEF…")
            )
        self._auth = _BotApiAuth(token)
        self._http = http or HttpClient()
        self._api_url = api_url.rstrip("/")
        self.bot_id = token.split(":", 1)[0]  # the bot's own user id, public by design

    def __repr__(self) -> str:
        return f"<BotApi bot_id={self.bot_id} token=<redacted>>"

    def _url(self, method: str) -> str:
        return f"{self._api_url}/bot/{method}"

    def read(self, method: str, params: Mapping[str, Any] | None = None, **kwargs: Any) -> Any:
        query = {
            key: json.dumps(value) if isinstance(value, list | dict | bool) else value
            for key, value in (params or {}).items()
            if value is not None
        }
        response = self._http.get(self._url(method), params=query, auth=self._auth, **kwargs)
        return self._result(response)

    def write(
        self,
        method: str,
        params: Mapping[str, Any],
        files: Mapping[str, tuple[str, bytes]] | None = None,
    ) -> Any:
        fields = {key: value for key, value in params.items() if value is not None}
        if files:
            # Uploads go as multipart/form-data, where every non-file field is a string and
            # objects and arrays are JSON-serialized, as the Bot API asks.
            data = {
                key: value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                for key, value in fields.items()
            }
            response = self._http.post(
                self._url(method), data=data, files=dict(files), auth=self._auth
            )
        else:
            response = self._http.post(self._url(method), json=fields, auth=self._auth)
        return self._result(response)

    def poll(self, params: Mapping[str, Any], timeout: int) -> Any:
        """getUpdates, holding the request open up to `timeout` seconds (long polling)."""
        wait = httpx.Timeout(timeout + POLL_GRACE, connect=5.0)
        return self.read("getUpdates", {**params, "timeout": timeout}, timeout=wait)

    @staticmethod
    def _result(response: httpx.Response) -> Any:
        body = response.json()  # already parsed once by _BotApiAuth: it is a JSON object
        if "result" not in body:
            raise Transient(_("Telegram's answer has no result."))
        return body["result"]

    def close(self) -> None:
        self._http.close()
