from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.utils.translation import gettext_lazy as _

from kalrav.accounts.sessions import end_every_sign_in


class AccountsConfig(AppConfig):
    name = "kalrav.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        # Every sign-in, whichever view makes it, gets its fixed end.
        user_logged_in.connect(end_every_sign_in, dispatch_uid="kalrav-session-end")
