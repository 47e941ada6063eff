"""X (formerly Twitter). Declares its counting and media rules; the API client arrives later."""

from __future__ import annotations

from typing import ClassVar

from django.utils.translation import gettext_lazy as _

from kalrav.connectors.base import ConnectorContext, NetworkRules, SettingsField
from kalrav.connectors.networks.x.rules import RULES


class XConnector:
    slug: ClassVar[str] = "x"
    label: ClassVar[str] = "X"
    rules: NetworkRules = RULES
    capabilities: ClassVar[tuple[type, ...]] = ()
    settings_fields: ClassVar[tuple[SettingsField, ...]] = (
        SettingsField("client_id", _("OAuth 2.0 client ID")),
        SettingsField("client_secret", _("OAuth 2.0 client secret"), secret=True, kind="password"),
    )

    def __init__(self, context: ConnectorContext) -> None:
        self.context = context
