"""The one way Kalrav talks to the outside world over HTTP (sync and async, on httpx).

Every request gets timeouts and Kalrav's user agent; GET and HEAD are retried with backoff after a
connection error, a timeout or a 5xx; every failure becomes an error that says whether a retry is
worthwhile (kalrav.connectors.errors); and every host is resolved and refused when any of its
addresses is private, loopback, link-local or otherwise not public, because channel URLs (a
Mastodon instance, a PDS, a feed) are typed in by users and must not reach into our own network.
Tests of local servers pass `allow_private=True`.

The address check runs before each request and each redirect. Between the check and the connection
the name is resolved again by the socket layer; a DNS answer that changes in that instant (DNS
rebinding) is not caught here, and outgoing traffic should still be firewalled in production.
"""

from __future__ import annotations

import asyncio
import ipaddress
import random
import socket
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from email.utils import parsedate_to_datetime
from importlib.metadata import PackageNotFoundError, version

import httpx

from kalrav.connectors.errors import (
    AuthExpired,
    BlockedAddress,
    ConnectorError,
    RateLimited,
    Rejected,
    Transient,
)

try:
    USER_AGENT = f"Kalrav/{version('kalrav')} (self-hosted social media manager)"
except PackageNotFoundError:  # running from a checkout that was never installed
    USER_AGENT = "Kalrav (self-hosted social media manager)"

DEFAULT_TIMEOUT = httpx.Timeout(15.0, connect=5.0)
SAFE_METHODS = frozenset({"GET", "HEAD"})
MAX_BACKOFF = 30.0
# Rate-limit hints beyond a day are clamped: a clock far off must not park a channel for years.
MAX_RETRY_AFTER = 86_400.0

Resolver = Callable[[str, int], Iterable[str]]


def private_addresses_allowed() -> bool:
    """KALRAV_ALLOW_PRIVATE_ADDRESSES: for self-hosters whose PDS or instance is on their own LAN."""
    from django.conf import settings

    return bool(getattr(settings, "ALLOW_PRIVATE_ADDRESSES", False))


def system_resolver(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise Transient(f"Cannot resolve {host}: {exc.strerror or exc}") from exc
    return [str(info[4][0]) for info in infos]


# --- Address guard -------------------------------------------------------------------------------


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    # is_global is False for private, loopback, link-local, shared (CGNAT), reserved and
    # documentation ranges; multicast is excluded separately because some of it is "global".
    return ip.is_global and not ip.is_multicast


def check_url(url: httpx.URL | str, resolver: Resolver = system_resolver) -> None:
    """Refuse a URL whose scheme is not http(s) or whose host resolves to any non-public address."""
    try:
        url = httpx.URL(url)
    except httpx.InvalidURL as error:
        # Octal or fullwidth-digit hosts (http://0177.0.0.1) are refused by the parser: the
        # caller hears "refused", never a crash.
        raise BlockedAddress(f"Not a usable web address: {error}.") from None
    if url.scheme not in ("http", "https"):
        raise BlockedAddress(f"Only http and https addresses are allowed, not '{url.scheme}'.")
    host = url.host
    if not host:
        raise BlockedAddress("The address has no host.")
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        addresses = [str(ipaddress.ip_address(host))]  # a literal IP needs no lookup
    except ValueError:
        addresses = list(resolver(host, port))
    if not addresses:
        raise Transient(f"{host} has no address.")
    for address in addresses:
        if not is_public_address(address):
            raise BlockedAddress(
                f"{host} points to a private or reserved address ({address}); Kalrav does not connect there."
            )


# --- Reading errors from responses ---------------------------------------------------------------


def retry_after(response: httpx.Response, now: float | None = None) -> float | None:
    """Seconds to wait, from Retry-After (seconds or HTTP date) or a rate-limit reset header
    (epoch seconds, seconds from now, or an ISO 8601 time as Mastodon sends)."""
    now = time.time() if now is None else now
    value = response.headers.get("retry-after")
    if value:
        seconds = _seconds_from(value.strip(), now, http_date=True)
        if seconds is not None:
            return seconds
    for name in ("x-ratelimit-reset", "ratelimit-reset", "x-rate-limit-reset"):
        value = response.headers.get(name)
        if value:
            seconds = _seconds_from(value.strip(), now, http_date=False)
            if seconds is not None:
                return seconds
    return None


def _seconds_from(value: str, now: float, http_date: bool) -> float | None:
    try:
        number = float(value)
    except ValueError:
        number = None
    if number is not None:
        # Headers carry either a delay or an absolute epoch time; epochs are far above a day.
        seconds = number - now if number > 1_000_000_000 else number
        return _clamp(seconds)
    try:
        if http_date:
            moment = parsedate_to_datetime(value).timestamp()
        else:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return _clamp(moment - now)


def _clamp(seconds: float) -> float:
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def server_message(response: httpx.Response) -> str:
    """The server's own words about the failure, as networks put them in their JSON bodies."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        for key in (
            "error_description",
            "message",
            "detail",
            "description",
            "error",
            "title",
            "errors",
        ):
            value = body.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
            if isinstance(value, list) and value:
                first = value[0]
                text = (
                    first.get("message") or first.get("detail")
                    if isinstance(first, dict)
                    else first
                )
                if text:
                    return str(text)
    text = response.text.strip()
    return text[:300] if text else (response.reason_phrase or f"HTTP {response.status_code}")


def _looks_like_auth(response: httpx.Response, message: str) -> bool:
    if "www-authenticate" in response.headers:
        return True
    lowered = message.lower()
    return any(
        word in lowered for word in ("token", "unauthori", "authenticat", "credential", "expired")
    )


def error_for(response: httpx.Response) -> ConnectorError | None:
    """The typed error a response stands for, or None for a success."""
    status = response.status_code
    if status < 400:
        return None
    message = server_message(response)
    where = f"{response.request.method} {response.request.url.host}"
    if status == 401 or (status == 403 and _looks_like_auth(response, message)):
        return AuthExpired(f"{where}: {message}")
    if status == 429:
        return RateLimited(f"{where}: {message}", retry_after=retry_after(response))
    if status >= 500:
        return Transient(f"{where}: HTTP {status}: {message}", retry_after=retry_after(response))
    return Rejected(message)


def raise_for_response(response: httpx.Response) -> httpx.Response:
    error = error_for(response)
    if error is not None:
        raise error
    return response


def _transport_error(exc: httpx.TransportError, request: httpx.Request) -> Transient:
    kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "failed"
    return Transient(f"{request.method} {request.url.host} {kind}: {exc.__class__.__name__}")


def backoff(attempt: int, base: float) -> float:
    # Full jitter keeps many workers from retrying the same server in lockstep.
    return random.uniform(0, min(MAX_BACKOFF, base * 2**attempt))  # noqa: S311 - not for security


def _client_options(base_url, headers, timeout, follow_redirects, guard) -> dict:
    """What the sync and async clients share: Kalrav's user agent and the address guard."""
    return {
        "base_url": base_url,
        "headers": {"User-Agent": USER_AGENT, **(headers or {})},
        "timeout": timeout,
        "follow_redirects": follow_redirects,
        "event_hooks": {"request": [guard]},
    }


class _Settings:
    def __init__(
        self, *, retries: int, backoff_base: float, allow_private: bool | None, resolver: Resolver
    ):
        self.retries = retries
        self.backoff_base = backoff_base
        self.allow_private = private_addresses_allowed() if allow_private is None else allow_private
        self.resolver = resolver

    def should_retry(self, method: str, attempt: int, error: ConnectorError) -> bool:
        return (
            method.upper() in SAFE_METHODS
            and attempt < self.retries
            and isinstance(error, Transient)
        )

    def pause(self, attempt: int, error: ConnectorError) -> float:
        hinted = getattr(error, "retry_after", None)
        return min(hinted, MAX_BACKOFF) if hinted else backoff(attempt, self.backoff_base)


# --- Clients -------------------------------------------------------------------------------------


class HttpClient:
    """Synchronous client. `request` returns a successful response or raises a ConnectorError."""

    def __init__(
        self,
        *,
        base_url: str = "",
        headers: dict[str, str] | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        retries: int = 2,
        backoff_base: float = 0.5,
        allow_private: bool | None = None,
        resolver: Resolver = system_resolver,
        sleep: Callable[[float], None] = time.sleep,
        follow_redirects: bool = True,
    ) -> None:
        self._settings = _Settings(
            retries=retries,
            backoff_base=backoff_base,
            allow_private=allow_private,
            resolver=resolver,
        )
        self._sleep = sleep
        self._client = httpx.Client(
            **_client_options(base_url, headers, timeout, follow_redirects, self._guard)
        )

    def _guard(self, request: httpx.Request) -> None:
        if not self._settings.allow_private:
            check_url(request.url, self._settings.resolver)

    def request(self, method: str, url: str, **kwargs) -> httpx.Response:
        attempt = 0
        while True:
            try:
                response = self._client.request(method, url, **kwargs)
                error = error_for(response)
            except ConnectorError as exc:  # refused or unresolvable host, from the guard
                error, response = exc, None
            except httpx.TransportError as exc:
                error = _transport_error(
                    exc,
                    exc.request if _has_request(exc) else self._client.build_request(method, url),
                )
                response = None
            if error is None:
                return response  # type: ignore[return-value]
            if not self._settings.should_retry(method, attempt, error):
                raise error
            self._sleep(self._settings.pause(attempt, error))
            attempt += 1

    def send_once(self, method: str, url: str, **kwargs) -> httpx.Response:
        """One request, no retries, returning the response whatever its status: for callers
        that keep a failure's status and words themselves (outgoing webhook deliveries). A
        refused address or a transport failure still raises its ConnectorError."""
        try:
            return self._client.request(method, url, **kwargs)
        except httpx.TransportError as exc:
            request = exc.request if _has_request(exc) else self._client.build_request(method, url)
            raise _transport_error(exc, request) from exc

    def get(self, url: str, **kwargs) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


class AsyncHttpClient:
    """Asynchronous twin of HttpClient, for streams and concurrent fetches."""

    def __init__(
        self,
        *,
        base_url: str = "",
        headers: dict[str, str] | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        retries: int = 2,
        backoff_base: float = 0.5,
        allow_private: bool | None = None,
        resolver: Resolver = system_resolver,
        sleep: Callable[[float], object] = asyncio.sleep,
        follow_redirects: bool = True,
    ) -> None:
        self._settings = _Settings(
            retries=retries,
            backoff_base=backoff_base,
            allow_private=allow_private,
            resolver=resolver,
        )
        self._sleep = sleep
        self._client = httpx.AsyncClient(
            **_client_options(base_url, headers, timeout, follow_redirects, self._guard)
        )

    async def _guard(self, request: httpx.Request) -> None:
        if not self._settings.allow_private:
            # Name lookups block; keep them off the event loop.
            await asyncio.to_thread(check_url, request.url, self._settings.resolver)

    async def request(self, method: str, url: str, **kwargs) -> httpx.Response:
        attempt = 0
        while True:
            try:
                response = await self._client.request(method, url, **kwargs)
                error = error_for(response)
            except ConnectorError as exc:  # refused or unresolvable host, from the guard
                error, response = exc, None
            except httpx.TransportError as exc:
                error = _transport_error(
                    exc,
                    exc.request if _has_request(exc) else self._client.build_request(method, url),
                )
                response = None
            if error is None:
                return response  # type: ignore[return-value]
            if not self._settings.should_retry(method, attempt, error):
                raise error
            await self._sleep(self._settings.pause(attempt, error))  # type: ignore[misc]
            attempt += 1

    async def get(self, url: str, **kwargs) -> httpx.Response:
        return await self.request("GET", url, **kwargs)

    async def post(self, url: str, **kwargs) -> httpx.Response:
        return await self.request("POST", url, **kwargs)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> AsyncHttpClient:
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.aclose()


def _has_request(exc: httpx.TransportError) -> bool:
    try:
        exc.request  # noqa: B018 - raises RuntimeError when httpx did not attach one
    except RuntimeError:
        return False
    return True
