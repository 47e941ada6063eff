from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Importing the module registers the system check; it needs no models, so it can load with the app.
from kalrav.connectors import checks  # noqa: F401


class ConnectorsConfig(AppConfig):
    name = "kalrav.connectors"
    label = "connectors"
    verbose_name = _("Connectors")
