from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublishingConfig(AppConfig):
    name = "kalrav.publishing"
    label = "publishing"
    verbose_name = _("Publishing")

    def ready(self) -> None:
        # Huey's consumer discovers `tasks` modules only; these tasks live beside their services.
        from kalrav.publishing import (
            after_publish_tasks,  # noqa: F401
            recurrence,
            signals,
        )

        signals.variant_published.connect(
            recurrence.on_variant_published, dispatch_uid="kalrav.publishing.recurrence"
        )
