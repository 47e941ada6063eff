"""Every network Kalrav knows, by slug. Adding a network is one folder and one line here; the
connector module is imported only when first asked for, so a broken or heavy SDK costs nothing
until a channel of that network is used (the system check imports them all at start-up)."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from kalrav.connectors.base import Connector

CONNECTORS: dict[str, str] = {
    "bluesky": "kalrav.connectors.networks.bluesky.connector.BlueskyConnector",
    "mastodon": "kalrav.connectors.networks.mastodon.connector.MastodonConnector",
    "telegram": "kalrav.connectors.networks.telegram.connector.TelegramConnector",
    "x": "kalrav.connectors.networks.x.connector.XConnector",
    "facebook": "kalrav.connectors.networks.facebook.connector.FacebookConnector",
    "instagram": "kalrav.connectors.networks.instagram.connector.InstagramConnector",
    "matrix": "kalrav.connectors.networks.matrix.connector.MatrixConnector",
    "sandbox": "kalrav.connectors.networks.sandbox.connector.SandboxConnector",
}

_registered: dict[str, str] = dict(CONNECTORS)
_loaded: dict[str, type[Connector]] = {}


class UnknownNetwork(LookupError):
    def __init__(self, slug: str) -> None:
        super().__init__(slug)
        self.slug = slug


def import_dotted(path: str) -> Any:
    module, _dot, name = path.rpartition(".")
    return getattr(import_module(module), name)


def get(slug: str) -> type[Connector]:
    """The connector class for a slug; UnknownNetwork when none is registered. What a network is
    and can do is read through catalogue.network(slug)."""
    if slug not in _loaded:
        try:
            path = _registered[slug]
        except KeyError:
            raise UnknownNetwork(slug) from None
        _loaded[slug] = import_dotted(path)
    return _loaded[slug]


def available() -> list[str]:
    return sorted(_registered)


def registered() -> dict[str, str]:
    return dict(_registered)


def reset(connectors: dict[str, str] | None = None) -> None:
    """For tests: register exactly `connectors` (the real list when None) and forget imports."""
    _registered.clear()
    _registered.update(CONNECTORS if connectors is None else connectors)
    _loaded.clear()
