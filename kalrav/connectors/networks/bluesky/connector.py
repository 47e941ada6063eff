"""Bluesky (AT Protocol) on any PDS. Declares what the network accepts and how a channel connects;
publishing, the inbox and the stream arrive with the atproto client."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kalrav.connectors.base import ConnectorContext, SettingsField
from kalrav.connectors.networks.bluesky.rules import RULES


class BlueskyConnector:
    slug = "bluesky"
    label = "Bluesky"
    rules = RULES
    capabilities: tuple[type, ...] = ()
    settings_fields = (
        SettingsField(
            "service_url",
            _("PDS address"),
            kind="url",
            help_text=_("https://bsky.social unless your account lives on another server."),
        ),
        SettingsField(
            "handle", _("Handle"), help_text=_("Such as brand.bsky.social or brand.com.")
        ),
        SettingsField(
            "app_password",
            _("App password"),
            secret=True,
            kind="password",
            help_text=_(
                "Settings → Privacy and security → App passwords. Never your main password."
            ),
        ),
    )

    def __init__(self, context: ConnectorContext) -> None:
        self.context = context
