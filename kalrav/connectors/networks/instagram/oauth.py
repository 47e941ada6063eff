"""Connecting Instagram professional accounts through the Facebook Pages they are linked to
(Instagram API with Facebook Login; https://developers.facebook.com/docs/instagram-platform/
instagram-api-with-facebook-login/). The person signs in with Facebook once (facebook/oauth.py
makes the dialog and trades the code for a long-lived user token); `me/accounts` then lists each
Page with its Page token and its `instagram_business_account`, and every Page that has one
becomes one connection, the Page token its credentials.

Instagram Login (graph.instagram.com, Business Login for Instagram), the other way in, is
login.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kalrav.connectors.account import AccountInfo, Connection
from kalrav.connectors.networks.facebook import oauth as facebook_oauth
from kalrav.connectors.networks.facebook.client import GraphClient
from kalrav.connectors.networks.facebook.webhooks import meta_app_secret
from kalrav.connectors.networks.instagram import mapping

# Permissions for what the connector does (Instagram API with Facebook Login, "Permissions").
SCOPES = (
    "instagram_basic",
    "instagram_content_publish",
    "instagram_manage_comments",
    "instagram_manage_messages",
    "instagram_manage_insights",
    "pages_show_list",
    "pages_read_engagement",
    "pages_manage_metadata",  # to enable the Page's webhook subscription (connector.verify)
    "business_management",
)
ACCOUNT_FIELDS = (
    "instagram_business_account{id,username,name,profile_picture_url},access_token,name"
)
MAX_PAGES = 10  # of 100 Pages each


def start(*, redirect_uri: str, state: str) -> tuple[str, dict[str, Any]]:
    url = facebook_oauth.dialog_url(redirect_uri=redirect_uri, state=state, scopes=SCOPES)
    return url, {"redirect_uri": redirect_uri}


def finish_many(
    kept: Mapping[str, Any],
    code: str,
    *,
    http_options: Mapping[str, Any] | None = None,
    base_url: str = "",  # "" is facebook.client.graph_url()
) -> list[Connection]:
    options = dict(http_options or {})
    with GraphClient("", base_url=base_url, http_options=options) as anonymous:
        user = facebook_oauth.user_token(
            anonymous, code=code, redirect_uri=str(kept.get("redirect_uri") or "")
        )
    with GraphClient(
        user.token, app_secret=meta_app_secret(), base_url=base_url, http_options=options
    ) as graph:
        pages = _pages(graph)
    connections: list[Connection] = []
    for page in pages:
        linked = page.get("instagram_business_account") or {}
        token = str(page.get("access_token") or "")
        if not linked.get("id") or not token:
            continue  # a Page without an Instagram professional account
        account: AccountInfo = mapping.author(linked)
        connections.append(
            Connection(
                # `login` named, so signing in this way over a channel connected with Instagram
                # Login switches it back (services.renew_oauth_channel merges configs).
                config={
                    "ig_user_id": account.remote_id,
                    "page_id": str(page.get("id") or ""),
                    "login": "facebook",
                },
                credentials={"access_token": token},
                account=account,
                expires_at=user.expires_at,
            )
        )
    return connections


def _pages(graph: GraphClient) -> list[Mapping[str, Any]]:
    found: list[Mapping[str, Any]] = []
    answer = graph.get("me/accounts", {"fields": ACCOUNT_FIELDS, "limit": 100})
    for _round in range(MAX_PAGES):
        found.extend(page for page in answer.get("data") or () if isinstance(page, dict))
        following = (answer.get("paging") or {}).get("next")
        if not following:
            break
        answer = graph.get(str(following))
    return found
