"""X (formerly Twitter). Declares its counting and media rules; the API client arrives later."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kalrav.connectors.base import ConnectorContext, SettingsField
from kalrav.connectors.networks.x.rules import RULES


class XConnector:
    slug = "x"
    label = "X"
    rules = RULES
    capabilities: tuple[type, ...] = ()
    settings_fields = (
        SettingsField("client_id", _("OAuth 2.0 client ID")),
        SettingsField("client_secret", _("OAuth 2.0 client secret"), secret=True, kind="password"),
    )

    def __init__(self, context: ConnectorContext) -> None:
        self.context = context
