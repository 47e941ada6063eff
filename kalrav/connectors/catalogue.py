"""Every network Kalrav knows, as pages, forms and services read it: its label, rules, settings
fields (the secret ones marked) and capabilities, worked out once per network from its connector
class. Code outside connectors/ asks here what a network is and can do, and builds a connector
(channels' `connector_for`) only to talk to the network.

A network's capabilities are the Protocols its connector class implements (an `issubclass` test
on the class), so they cannot disagree with what `isinstance` says of a built connector; the system
check (checks.py) makes sure they are also the ones the class declares in `capabilities`.
"""

from __future__ import annotations

from dataclasses import dataclass

from kalrav.connectors import base, registry
from kalrav.connectors.account import ACCOUNT_CAPABILITIES
from kalrav.connectors.base import Connector, NetworkRules, SettingsField
from kalrav.connectors.webhooks import AppWebhookReceiver, ItemCompleter, WebhookReceiver

# Every capability a connector may have, in the order pages list them. AppWebhookReceiver is
# asked of the class (one address per app), ItemCompleter of a channel's connector in the worker.
CAPABILITIES: tuple[type, ...] = (
    *base.CAPABILITIES,
    *ACCOUNT_CAPABILITIES,
    WebhookReceiver,
    AppWebhookReceiver,
    ItemCompleter,
)


@dataclass(frozen=True)
class Network:
    slug: str
    label: str
    rules: NetworkRules  # the network's defaults; a channel's connector may know its own
    settings_fields: tuple[SettingsField, ...]
    capabilities: tuple[type, ...]
    connector: type[Connector]

    def can(self, capability: type) -> bool:
        return capability in self.capabilities

    @property
    def secret_fields(self) -> tuple[SettingsField, ...]:
        return tuple(field for field in self.settings_fields if field.secret)

    @property
    def server_field(self) -> SettingsField | None:
        """The field naming the server to sign in on (the first address field), if any."""
        return next((field for field in self.settings_fields if field.kind == "url"), None)


def implemented(connector: type) -> tuple[type, ...]:
    """The capabilities a connector class implements, whatever it declares."""
    return tuple(capability for capability in CAPABILITIES if issubclass(connector, capability))


_known: dict[str, Network] = {}


def network(slug: str) -> Network:
    """What Kalrav knows of a network; registry.UnknownNetwork when it knows none by that slug."""
    connector = registry.get(slug)
    known = _known.get(slug)
    # Tests register other classes under a slug (registry.reset): an entry follows its class.
    if known is None or known.connector is not connector:
        known = _known[slug] = Network(
            slug=slug,
            label=str(connector.label),
            rules=connector.rules,
            settings_fields=tuple(connector.settings_fields),
            capabilities=implemented(connector),
            connector=connector,
        )
    return known


def networks() -> list[Network]:
    return [network(slug) for slug in registry.available()]


def choices() -> list[tuple[str, str]]:
    """(slug, label) of every network, for forms and the API."""
    return [(known.slug, known.label) for known in networks()]
