"""What a connector raises. Each error tells the caller whether trying again is worthwhile:
the publisher and the channel health page decide on retries and states from the type alone."""

from __future__ import annotations


class ConnectorError(Exception):
    """Base of every error a connector raises; `message` is safe to show (never holds a secret)."""

    retryable = False

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class AuthExpired(ConnectorError):
    """The network no longer accepts the channel's credentials: the channel needs reconnecting."""


class RateLimited(ConnectorError):
    """Too many requests; `retry_after` is seconds to wait when the network said so, else None."""

    retryable = True

    def __init__(self, message: str = "", retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Rejected(ConnectorError):
    """Permanent refusal: retrying the same request fails again; the user must change something."""

    def __init__(self, reason: str = "") -> None:
        super().__init__(reason)
        self.reason = reason


class BlockedAddress(Rejected):
    """A user-given URL points at a private, loopback, link-local or reserved address."""


class Transient(ConnectorError):
    """A failure that may pass (timeout, connection error, 5xx): retry with backoff."""

    retryable = True

    def __init__(self, message: str = "", retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
