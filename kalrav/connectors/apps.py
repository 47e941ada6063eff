from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConnectorsConfig(AppConfig):
    name = "kalrav.connectors"
    label = "connectors"
    verbose_name = _("Connectors")

    def ready(self) -> None:
        from kalrav.connectors import checks  # noqa: F401 - registers the system check
