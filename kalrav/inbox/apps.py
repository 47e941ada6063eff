from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InboxConfig(AppConfig):
    name = "kalrav.inbox"
    label = "inbox"
    verbose_name = _("Inbox")

    def ready(self) -> None:
        from kalrav import streams

        streams.register("inbox", "kalrav.inbox.streams.run")
