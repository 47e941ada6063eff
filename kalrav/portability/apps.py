from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortabilityConfig(AppConfig):
    """A workspace's full export and its import: a brand can leave or move at any time.

    Its own app because it reads every other app's models (found generically, see discovery)
    and nothing depends on it: inside `workspaces` it would import the apps that import
    `workspaces`, a circle."""

    name = "kalrav.portability"
    label = "portability"
    verbose_name = _("Export and import")
