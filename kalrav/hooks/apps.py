from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HooksConfig(AppConfig):
    name = "kalrav.hooks"
    label = "hooks"
    verbose_name = _("Outgoing webhooks")
