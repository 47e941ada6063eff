"""Mastodon and compatible servers. The rules come from the channel's own instance (its
configuration is stored with the channel when it connects); publishing arrives with Mastodon.py."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kalrav.connectors.base import ConnectorContext, SettingsField
from kalrav.connectors.networks.mastodon.rules import RULES, rules_for_instance


class MastodonConnector:
    slug = "mastodon"
    label = "Mastodon"
    rules = RULES
    capabilities: tuple[type, ...] = ()
    settings_fields = (
        SettingsField(
            "instance_url",
            _("Server address"),
            kind="url",
            help_text=_("Such as https://mastodon.social."),
        ),
        SettingsField("access_token", _("Access token"), secret=True, kind="password"),
    )

    def __init__(self, context: ConnectorContext) -> None:
        self.context = context
        self.rules = rules_for_instance(context.config.get("instance"))
