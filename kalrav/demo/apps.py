from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    # An app only for its `kalrav demo` command: it has no models.
    name = "kalrav.demo"
    label = "demo"
    verbose_name = _("Demo data")
