from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from kalrav.ops import streams


class InboxConfig(AppConfig):
    name = "kalrav.inbox"
    label = "inbox"
    verbose_name = _("Inbox")

    def ready(self) -> None:
        streams.register("inbox", "kalrav.inbox.intake.streams.run")
