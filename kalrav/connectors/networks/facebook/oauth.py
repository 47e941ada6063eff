"""Facebook Login for Business, for Facebook Pages (and the Instagram accounts linked to them).

The person signs in on Facebook's dialog
(https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow/), which sends
them back with a code; the code becomes a short-lived user token, which becomes a long-lived one
(60 days; https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived/)
and that lists the Pages the person manages with a Page token each
(https://developers.facebook.com/docs/graph-api/reference/user/accounts/). A Page token obtained
from a long-lived user token has no expiry of its own, but stops working when the person's
access to the app ends (after the user token's 60 days without a new sign-in, a password
change, a removed role), so the channel keeps the user token's expiry and asks for a new
sign-in ahead of it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.utils.translation import gettext as _

from kalrav.connectors.errors import AuthExpired, Rejected
from kalrav.connectors.networks.facebook.client import GRAPH_VERSION, GraphClient
from kalrav.connectors.networks.facebook.webhooks import meta_app_id, meta_app_secret

DIALOG_URL = f"https://www.facebook.com/{GRAPH_VERSION}/dialog/oauth"
# What each feature needs (docs/networks.md, "Meta"): listing and posting to Pages, reading and
# answering comments and Messenger, and the Pages' insights.
PAGE_SCOPES = (
    "pages_show_list",
    "pages_manage_posts",
    "pages_read_engagement",
    "pages_manage_engagement",
    "pages_read_user_content",
    "pages_messaging",
    "read_insights",
    "business_management",
)
PAGE_FIELDS = "id,name,username,link,access_token,picture{url},tasks"
MAX_PAGES = 10  # of 100 Pages each


def dialog_endpoint() -> str:
    """Facebook's Login dialog (setting KALRAV_META_DIALOG_URL), read at call time."""
    return str(getattr(settings, "META_DIALOG_URL", "") or DIALOG_URL)


def login_config_id() -> str:
    return str(getattr(settings, "META_LOGIN_CONFIG_ID", "") or "")


def require_app() -> tuple[str, str]:
    app_id, secret = meta_app_id(), meta_app_secret()
    if not app_id or not secret:
        raise Rejected(
            _(
                "Facebook and Instagram are not set up on this Kalrav: the operator must set "
                "KALRAV_META_APP_ID and KALRAV_META_APP_SECRET."
            )
        )
    return app_id, secret


def dialog_url(*, redirect_uri: str, state: str, scopes: tuple[str, ...], dialog: str = "") -> str:
    """Login for Business takes a configuration id (made in the app dashboard, naming the
    permissions and the token type); without one the permissions are asked by name."""
    app_id, _secret = require_app()
    query = {"client_id": app_id, "redirect_uri": redirect_uri, "state": state}
    config = login_config_id()
    if config:
        query["config_id"] = config
        query["override_default_response_type"] = "true"
        query["response_type"] = "code"
    else:
        query["scope"] = ",".join(scopes)
        query["response_type"] = "code"
    return f"{dialog or dialog_endpoint()}?{urlencode(query)}"


@dataclass(frozen=True)
class UserToken:
    token: str
    expires_at: datetime | None  # None when Meta gave no lifetime


def user_token(graph: GraphClient, *, code: str, redirect_uri: str) -> UserToken:
    """The code, then the long-lived user token it can be traded for."""
    app_id, secret = require_app()
    try:
        short = graph.get(
            "oauth/access_token",
            {
                "client_id": app_id,
                "client_secret": secret,
                "redirect_uri": redirect_uri,
                "code": code,
            },
        )
        token = str(short.get("access_token") or "")
        if not token:
            raise AuthExpired(_("Facebook sent no access token; sign in again."))
        long = graph.get(
            "oauth/access_token",
            {
                "grant_type": "fb_exchange_token",
                "client_id": app_id,
                "client_secret": secret,
                "fb_exchange_token": token,
            },
        )
    except Rejected as refused:
        # A code is good once and for ten minutes: a used or stale one is a new sign-in.
        raise AuthExpired(
            _("Facebook refused the sign-in (%(reason)s); start again.")
            % {"reason": refused.reason}
        ) from refused
    lasting = str(long.get("access_token") or token)
    return UserToken(lasting, _expiry(long.get("expires_in")))


def _expiry(expires_in: Any, now: float | None = None) -> datetime | None:
    try:
        seconds = float(expires_in)
    except (TypeError, ValueError):
        return None
    if seconds <= 0:
        return None
    return datetime.fromtimestamp((now or time.time()) + seconds, tz=UTC)


def managed_pages(graph: GraphClient) -> list[Mapping[str, Any]]:
    """Every Page the signed-in person manages, with its Page token, following `paging.next`."""
    pages: list[Mapping[str, Any]] = []
    answer = graph.get("me/accounts", {"fields": PAGE_FIELDS, "limit": 100})
    for _round in range(MAX_PAGES):
        pages.extend(page for page in answer.get("data") or () if isinstance(page, dict))
        following = (answer.get("paging") or {}).get("next")
        if not following:
            break
        answer = graph.get(str(following))
    return pages
