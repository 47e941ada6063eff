from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "kalrav.analytics"
    label = "analytics"
    verbose_name = _("Analytics")

    def ready(self) -> None:
        from kalrav.analytics.rollups.services import measured_posts
        from kalrav.publishing.queues import best_time

        best_time.measured_posts = measured_posts
