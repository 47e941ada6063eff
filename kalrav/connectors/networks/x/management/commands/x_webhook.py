"""`kalrav x_webhook register | status | validate [ID] | delete ID`: X's Account Activity webhook
for the operator's app, through X's API with the app's bearer token (KALRAV_X_BEARER_TOKEN).

`register` gives the line to add to the configuration (KALRAV_X_WEBHOOK_ID=...); `status` exits
non-zero when that webhook is missing or invalid, so a health check can run it. Every refusal
prints X's reason and exits non-zero (kalrav/connectors/networks/x/webhook_admin.py).

It lives in X's folder: a network folder with a `management/commands` folder is an app of its
own (settings.NETWORK_APPS), so no code outside the folder names the network.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kalrav.connectors.errors import ConnectorError
from kalrav.connectors.http import HttpClient
from kalrav.connectors.networks.x import activity, webhook_admin
from kalrav.connectors.networks.x.webhook_admin import AppApi


class Command(BaseCommand):
    help = _("Register, check or delete the X app's Account Activity webhook.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(
            dest="action", required=True, metavar="{register,status,validate,delete}"
        )
        sub.add_parser(
            "register",
            help=_("register KALRAV_PUBLIC_URL/hooks/networks/x/ with X and print its id"),
        )
        sub.add_parser(
            "status", help=_("the app's webhooks, valid or not, and the accounts subscribed")
        )
        validate = sub.add_parser("validate", help=_("ask X to run its CRC check again"))
        validate.add_argument(
            "webhook_id",
            nargs="?",
            default="",
            metavar="ID",
            help=_("default: KALRAV_X_WEBHOOK_ID"),
        )
        delete = sub.add_parser("delete", help=_("delete a webhook and its subscriptions"))
        delete.add_argument("webhook_id", metavar="ID")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        chosen: dict[str, Callable[..., None]] = {
            "register": self.register,
            "status": self.status,
            "validate": self.validate,
            "delete": self.delete,
        }
        try:
            with HttpClient() as http:
                chosen[action](AppApi(http), **options)
        except ConnectorError as error:
            raise CommandError(error.message) from None

    def register(self, api: AppApi, **options: Any) -> None:
        done = webhook_admin.register(api)
        hook = done.webhook
        if done.new:
            self.stdout.write(
                _("X registered %(url)s as webhook %(id)s; its CRC check passed.")
                % {"url": hook.url, "id": hook.id}
            )
        else:
            state = _("valid") if hook.valid else _("invalid")
            self.stdout.write(
                _("X has %(url)s already, as webhook %(id)s (%(state)s).")
                % {"url": hook.url, "id": hook.id, "state": state}
            )
            if not hook.valid:
                self.stdout.write(_("Run `kalrav x_webhook validate %(id)s`.") % {"id": hook.id})
        if activity.webhook_id() == hook.id:
            self.stdout.write(_("KALRAV_X_WEBHOOK_ID is set to it already."))
            return
        self.stdout.write(_("Add this line to Kalrav's configuration and restart Kalrav:"))
        self.stdout.write(f"KALRAV_X_WEBHOOK_ID={hook.id}")

    def status(self, api: AppApi, **options: Any) -> None:
        configured = activity.webhook_id()
        hooks = webhook_admin.webhooks(api)
        if not hooks:
            self.stdout.write(_("X holds no webhook for this app."))
        for hook in hooks:
            count = len(webhook_admin.subscriptions(api, hook.id))
            line = _("%(id)s %(state)s %(url)s (created %(created)s): %(accounts)s") % {
                "id": hook.id,
                "state": _("valid") if hook.valid else _("invalid"),
                "url": hook.url,
                "created": hook.created_at or _("unknown"),
                "accounts": ngettext(
                    "%(count)d account subscribed", "%(count)d accounts subscribed", count
                )
                % {"count": count},
            }
            if hook.id == configured:
                line += "  [KALRAV_X_WEBHOOK_ID]"
            self.stdout.write(line)
        found = next((hook for hook in hooks if hook.id == configured), None)
        if not configured:
            raise CommandError(
                _("KALRAV_X_WEBHOOK_ID is not set; `kalrav x_webhook register` gives it.")
            )
        if found is None:
            raise CommandError(
                _("KALRAV_X_WEBHOOK_ID is %(id)s, which X does not hold for this app.")
                % {"id": configured}
            )
        if not found.valid:
            raise CommandError(
                _(
                    "Webhook %(id)s is invalid: X delivers nothing to it until "
                    "`kalrav x_webhook validate` passes."
                )
                % {"id": configured}
            )

    def validate(self, api: AppApi, *, webhook_id: str, **options: Any) -> None:
        chosen = webhook_id or activity.webhook_id()
        if not chosen:
            raise CommandError(_("Give the webhook id, or set KALRAV_X_WEBHOOK_ID."))
        if not webhook_admin.revalidate(api, chosen):
            raise CommandError(
                _(
                    "X's CRC check of webhook %(id)s failed: make sure Kalrav is running at its "
                    "address with KALRAV_X_CONSUMER_SECRET set to the app's API Key Secret."
                )
                % {"id": chosen}
            )
        self.stdout.write(_("X checked webhook %(id)s again: valid.") % {"id": chosen})

    def delete(self, api: AppApi, *, webhook_id: str, **options: Any) -> None:
        if not webhook_admin.delete(api, webhook_id):
            raise CommandError(_("X did not delete webhook %(id)s.") % {"id": webhook_id})
        self.stdout.write(_("X deleted webhook %(id)s.") % {"id": webhook_id})
        if activity.webhook_id() == webhook_id:
            self.stdout.write(
                _(
                    "Remove KALRAV_X_WEBHOOK_ID from Kalrav's configuration and restart Kalrav; "
                    "X channels go back to polling alone."
                )
            )
