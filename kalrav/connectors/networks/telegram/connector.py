"""Telegram channels and groups through a bot (Bot API). Publishing, comments and the webhook
arrive with the Bot API client."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kalrav.connectors.base import ConnectorContext, SettingsField
from kalrav.connectors.networks.telegram.rules import RULES


class TelegramConnector:
    slug = "telegram"
    label = "Telegram"
    rules = RULES
    capabilities: tuple[type, ...] = ()
    settings_fields = (
        SettingsField(
            "bot_token",
            _("Bot token"),
            secret=True,
            kind="password",
            help_text=_("From @BotFather; the bot must be an administrator of the channel."),
        ),
        SettingsField(
            "chat_id", _("Channel or group"), help_text=_("@channelname or the numeric chat id.")
        ),
    )

    def __init__(self, context: ConnectorContext) -> None:
        self.context = context
