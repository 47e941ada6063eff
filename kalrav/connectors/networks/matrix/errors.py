"""Matrix errors as Kalrav's. The homeserver explains every failure with a JSON body
`{"errcode": "M_…", "error": "…"}`; the errcode says more than the status (a 403 may be a
deactivated account or a room we may not post in), so it decides first."""

from __future__ import annotations

import httpx

from kalrav.connectors import http
from kalrav.connectors.errors import AuthExpired, ConnectorError, RateLimited, Rejected, Transient

# Reconnecting with working credentials is the only cure for these.
AUTH_ERRCODES = frozenset({"M_UNKNOWN_TOKEN", "M_MISSING_TOKEN", "M_USER_DEACTIVATED"})


def matrix_error(response: httpx.Response) -> tuple[str, str] | None:
    """(errcode, error) of a Matrix error body, or None when the body is not one (a proxy's page)."""
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict) or not isinstance(body.get("errcode"), str):
        return None
    return body["errcode"], str(body.get("error") or "")


def error_for(response: httpx.Response) -> ConnectorError | None:
    status = response.status_code
    if status < 400:
        return None
    found = matrix_error(response)
    if found is None:
        return http.error_for(response)
    errcode, error = found
    words = f"{errcode}: {error}" if error else errcode
    if status == 401 or errcode in AUTH_ERRCODES:
        return AuthExpired(words)
    if status == 429 or errcode == "M_LIMIT_EXCEEDED":
        return RateLimited(words, retry_after=_retry_after(response))
    if status >= 500:
        return Transient(words, retry_after=http.retry_after(response))
    return Rejected(words)


def _retry_after(response: httpx.Response) -> float | None:
    # retry_after_ms in the body is the Matrix way; spec v1.10 added the Retry-After header and
    # deprecated the field, so either may come.
    try:
        milliseconds = response.json().get("retry_after_ms")
    except (ValueError, AttributeError):
        milliseconds = None
    if isinstance(milliseconds, int | float) and not isinstance(milliseconds, bool):
        return min(max(milliseconds / 1000, 0.0), http.MAX_RETRY_AFTER)
    return http.retry_after(response)


def raise_matrix_error(response: httpx.Response) -> None:
    """An httpx response hook: raising here hands the error to HttpClient, which retries what is
    safe to retry and raises the rest, exactly as with its own mapping."""
    if response.status_code >= 400:
        response.read()
        error = error_for(response)
        if error is not None:
            raise error
