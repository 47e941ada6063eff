from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from kalrav.publishing import signals


class PublishingConfig(AppConfig):
    name = "kalrav.publishing"
    label = "publishing"
    verbose_name = _("Publishing")

    def ready(self) -> None:
        # Receivers are wired once the models are loaded (Django's documented place for it): the
        # recurrence module reads models, so this module cannot import it when Django loads it.
        from kalrav.publishing.queues import recurrence

        signals.variant_published.connect(
            recurrence.on_variant_published, dispatch_uid="kalrav.publishing.recurrence"
        )
