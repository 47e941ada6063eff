from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from kalrav.ops import streams


class ListeningConfig(AppConfig):
    name = "kalrav.listening"
    label = "listening"
    verbose_name = _("Listening")

    def ready(self) -> None:
        # `kalrav listen` follows the public streams of bluesky and mastodon sources.
        streams.register("listening", "kalrav.listening.sources.streams.run")
