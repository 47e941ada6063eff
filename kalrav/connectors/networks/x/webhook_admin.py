"""The app's Account Activity webhook, registered and looked after from Kalrav (`kalrav x_webhook`)
instead of by hand with X's `xurl`.

These calls are the app's own, not an account's: X's webhook endpoints (`/2/webhooks`, and the
list of an app's subscriptions) take the app-only bearer token (KALRAV_X_BEARER_TOKEN), which no
channel holds, so they go through `AppApi` here and not through a channel's `client.XApi`. They
use the same HTTP client (timeouts, the address guard) and X's base URL (KALRAV_X_API_URL), and
X's refusals become the same typed errors, with X's own words in them.

Registering makes X send its CRC check to the address at once, so it needs Kalrav running at
KALRAV_PUBLIC_URL with the consumer secret (KALRAV_X_CONSUMER_SECRET) set: both are checked before
anything is sent. A registration X made but marked invalid is deleted again, so nothing is left
half-done.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kalrav.connectors.errors import (
    AuthExpired,
    ConnectorError,
    RateLimited,
    Rejected,
    Transient,
)
from kalrav.connectors.http import HttpClient, error_for, server_message
from kalrav.connectors.networks.x import activity, client

# X's webhook ids are numbers of up to 19 digits (the OpenAPI description's path pattern).
WEBHOOK_ID = re.compile(r"^[0-9]{1,19}$")
MAX_URL = 200  # X takes no longer webhook address (CreateWebhooksRequest.url)
FIELDS = "created_at,id,url,valid"


class NotSetUp(ConnectorError):
    """What Kalrav needs before it may ask X anything is missing; nothing was sent."""


@dataclass(frozen=True)
class Webhook:
    id: str
    url: str
    valid: bool
    created_at: str = ""

    @classmethod
    def read(cls, data: Any) -> Webhook | None:
        if not isinstance(data, Mapping) or not data.get("id"):
            return None
        return cls(
            str(data["id"]),
            str(data.get("url") or ""),
            bool(data.get("valid")),
            str(data.get("created_at") or ""),
        )


def bearer_token() -> str:
    return str(getattr(settings, "X_BEARER_TOKEN", "") or "")


def hook_url() -> str:
    """The address X is to deliver to: KALRAV_PUBLIC_URL + /hooks/networks/x/. X takes only
    HTTPS without a port (its webhook requirements), so anything else is refused here."""
    public = str(getattr(settings, "PUBLIC_URL", "") or "").rstrip("/")
    if not public:
        raise NotSetUp(
            _(
                "KALRAV_PUBLIC_URL is not set: X needs the https:// address it reaches this Kalrav "
                "at to deliver to."
            )
        )
    parts = urlsplit(public)
    if parts.scheme != "https":
        raise NotSetUp(
            _("KALRAV_PUBLIC_URL is %(url)s: X delivers only to https:// addresses.")
            % {"url": public}
        )
    if parts.port is not None:
        raise NotSetUp(
            _("KALRAV_PUBLIC_URL is %(url)s: X takes no port in a webhook address; use 443.")
            % {"url": public}
        )
    url = public + reverse("network-webhook", kwargs={"network": "x"})
    if len(url) > MAX_URL:
        raise NotSetUp(
            _("The webhook address %(url)s is longer than the %(max)d characters X takes.")
            % {"url": url, "max": MAX_URL}
        )
    return url


def require_consumer_secret() -> None:
    # X checks the address with a CRC at once; without the secret Kalrav cannot answer it.
    if not activity.consumer_secret():
        raise NotSetUp(
            _(
                "KALRAV_X_CONSUMER_SECRET is not set: Kalrav needs the app's API Key Secret to "
                "answer X's CRC check. Set it, restart Kalrav, then try again."
            )
        )


def checked_id(webhook_id: str) -> str:
    if not WEBHOOK_ID.match(webhook_id):
        raise NotSetUp(
            _("%(id)s is no X webhook id (X's ids are up to 19 digits).") % {"id": webhook_id}
        )
    return webhook_id


class AppApi:
    """Calls as the operator's X app, with its bearer token."""

    def __init__(self, http: HttpClient, *, token: str = "", base_url: str = "") -> None:
        self.token = token or bearer_token()
        if not self.token:
            raise NotSetUp(
                _(
                    "KALRAV_X_BEARER_TOKEN is not set: copy the app's Bearer Token from the X "
                    "developer portal (Keys and tokens)."
                )
            )
        self.http = http
        self.base_url = (base_url or client.api_base()).rstrip("/")

    def call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """The JSON answer of one request; a ConnectorError, in X's words, when X refused it."""
        headers = {"Authorization": f"Bearer {self.token}"}
        response = self.http.send_once(method, f"{self.base_url}{path}", headers=headers, **kwargs)
        _raise_for(response)
        if not response.content:
            return {}
        try:
            answer = response.json()
        except ValueError:
            raise Transient(_("X answered with something other than JSON.")) from None
        if not isinstance(answer, dict):
            raise Transient(_("X answered with something other than a JSON object."))
        if "data" not in answer and answer.get("errors"):
            raise Rejected(_reasons(answer) or _("X refused without saying why."))
        return answer


def reason(response: httpx.Response) -> str:
    """X's own words: each error's message when it lists them (the problem's `detail` is often
    only "One or more parameters to your request was invalid."), else its message or detail."""
    try:
        body = response.json()
    except ValueError:
        body = None
    found = _reasons(body) if isinstance(body, dict) else ""
    return found or server_message(response)


def _reasons(body: Mapping[str, Any]) -> str:
    words = []
    for error in body.get("errors") or ():
        if isinstance(error, Mapping):
            text = error.get("message") or error.get("detail") or error.get("title")
            if text and str(text) not in words:
                words.append(str(text))
    return "; ".join(words)


def _raise_for(response: httpx.Response) -> None:
    status = response.status_code
    if status < 400:
        return
    said = reason(response)
    if status == 401:
        raise AuthExpired(
            _(
                "X refused the app's bearer token (%(reason)s): check KALRAV_X_BEARER_TOKEN "
                "against the app's Keys and tokens page."
            )
            % {"reason": said}
        )
    if status == 403:
        raise client.NoAccess(
            _(
                "X refused (%(reason)s): the app's access level may not include the Account "
                "Activity API, or the app is not in a Project."
            )
            % {"reason": said}
        )
    if status == 429:
        wait = client.wait_seconds(response, time.time())
        minutes = max(1, round(wait / 60)) if wait is not None else None
        message = (
            ngettext(
                "X's rate limit (%(reason)s): try again in %(minutes)d minute.",
                "X's rate limit (%(reason)s): try again in %(minutes)d minutes.",
                minutes,
            )
            % {"reason": said, "minutes": minutes}
            if minutes is not None
            else _("X's rate limit (%(reason)s): try again later.") % {"reason": said}
        )
        raise RateLimited(message, retry_after=wait)
    error = error_for(response)
    if isinstance(error, Transient):
        raise Transient(
            _("X failed (HTTP %(status)d: %(reason)s); try again later.")
            % {"status": status, "reason": said},
            retry_after=error.retry_after,
        )
    raise Rejected(said)


# --- The operations ------------------------------------------------------------------------------


def webhooks(api: AppApi) -> list[Webhook]:
    """Every webhook X holds for the app (`GET /2/webhooks`)."""
    answer = api.call("GET", "/2/webhooks", params={"webhook_config.fields": FIELDS})
    found = (Webhook.read(item) for item in answer.get("data") or ())
    return [hook for hook in found if hook is not None]


@dataclass(frozen=True)
class Registered:
    webhook: Webhook
    new: bool  # False: the address was registered already and X's webhook is given back


def register(api: AppApi) -> Registered:
    """Registers Kalrav's address (`POST /2/webhooks`), X checking it with a CRC at once. An
    address X holds already is given back instead of registered twice."""
    url = hook_url()
    require_consumer_secret()
    held = next((hook for hook in webhooks(api) if hook.url == url), None)
    if held is not None:
        return Registered(held, new=False)
    answer = api.call("POST", "/2/webhooks", json={"url": url})
    made = Webhook.read(answer.get("data"))
    if made is None:
        raise Transient(_("X answered the registration without a webhook id."))
    if not made.valid:
        _withdraw(api, made)
    return Registered(made, new=True)


def _withdraw(api: AppApi, hook: Webhook) -> None:
    # An invalid webhook delivers nothing; kept, it would only take the app's webhook place.
    failed = _(
        "X could not check %(url)s (its CRC check failed): make sure Kalrav is running there "
        "with KALRAV_X_CONSUMER_SECRET set to the app's API Key Secret."
    ) % {"url": hook.url}
    try:
        delete(api, hook.id)
    except ConnectorError as error:
        raise Rejected(
            failed
            + " "
            + _(
                "X keeps the invalid webhook %(id)s (deleting it failed: %(reason)s); delete it "
                "with `kalrav x_webhook delete %(id)s`."
            )
            % {"id": hook.id, "reason": error.message}
        ) from error
    raise Rejected(failed + " " + _("The registration was withdrawn."))


def revalidate(api: AppApi, webhook_id: str) -> bool:
    """Asks X to run its CRC check again (`PUT /2/webhooks/{id}`); whether it passed."""
    require_consumer_secret()
    answer = api.call("PUT", f"/2/webhooks/{checked_id(webhook_id)}")
    if not (answer.get("data") or {}).get("valid"):
        return False
    # X's description has this `valid` say the check was triggered, not that it passed: the
    # webhook's own state says that.
    held = next((hook for hook in webhooks(api) if hook.id == webhook_id), None)
    return held is not None and held.valid


def delete(api: AppApi, webhook_id: str) -> bool:
    """Deletes the webhook (`DELETE /2/webhooks/{id}`), and with it every subscription to it."""
    answer = api.call("DELETE", f"/2/webhooks/{checked_id(webhook_id)}")
    return bool((answer.get("data") or {}).get("deleted"))


def subscriptions(api: AppApi, webhook_id: str) -> list[str]:
    """The accounts subscribed to the webhook (user ids)."""
    path = f"/2/account_activity/webhooks/{checked_id(webhook_id)}/subscriptions/all/list"
    data = api.call("GET", path).get("data") or {}
    return [
        str(item["user_id"])
        for item in data.get("subscriptions") or ()
        if isinstance(item, Mapping) and item.get("user_id")
    ]
