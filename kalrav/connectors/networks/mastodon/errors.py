"""Turning what Mastodon.py raises into Kalrav's typed errors.

Every request Mastodon.py makes goes through Kalrav's HTTP client (see client.py), which already
raises a typed error for each failed response (401 → AuthExpired, 429 → RateLimited with the
X-RateLimit-Reset delay, 422 → Rejected with the server's "error" text, 5xx and timeouts →
Transient). Mastodon.py catches that and raises its own MastodonNetworkError from inside the
`except`, so our error survives as the exception's context; `translated` digs it out. The
mapping of Mastodon.py's own exceptions only covers what it raises without a request failing
(a 200 with a body that is not JSON, an argument it refuses).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.utils.translation import gettext as _
from mastodon import errors as sdk

from kalrav.connectors.errors import (
    AuthExpired,
    ConnectorError,
    RateLimited,
    Rejected,
    Transient,
)


def _our_error(exc: BaseException) -> ConnectorError | None:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ConnectorError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def translated(exc: BaseException) -> ConnectorError:
    """The typed error for anything raised while talking to an instance."""
    found = _our_error(exc)
    if found is not None:
        return found
    # Mastodon.py puts the status, reason and the server's "error" text in args.
    detail = str(exc.args[-1]) if exc.args else ""
    if isinstance(exc, sdk.MastodonUnauthorizedError):
        return AuthExpired(detail or _("The server no longer accepts this access token."))
    if isinstance(exc, sdk.MastodonRatelimitError):
        return RateLimited(detail or _("The server asks Kalrav to slow down."))
    if isinstance(exc, sdk.MastodonServerError | sdk.MastodonNetworkError):
        return Transient(detail or _("The server did not answer properly; Kalrav will retry."))
    if isinstance(exc, sdk.MastodonAPIError) and "parse response as JSON" in str(exc.args[0]):
        # A success status with a body that is not JSON: a proxy or maintenance page, not us.
        return Transient(_("The server answered with something that is not Mastodon's API."))
    if isinstance(exc, sdk.MastodonError):
        return Rejected(detail or str(exc))
    raise exc  # a bug of ours, not the network's: let it surface as itself


@contextmanager
def mapped() -> Iterator[None]:
    try:
        yield
    except ConnectorError:
        raise
    except Exception as exc:
        raise translated(exc) from exc
