"""One Facebook sign-in, one channel per Instagram professional account linked to a Page."""

from __future__ import annotations

import httpx
import pytest
import respx

from kalrav.connectors.account import OAuthConnectMany
from kalrav.connectors.networks.instagram import oauth
from kalrav.connectors.networks.instagram.connector import InstagramConnector
from kalrav.connectors.networks.instagram.tests.fake import HTTP_OPTIONS

# https://developers.facebook.com/docs/graph-api/reference/user/accounts/ with the
# instagram_business_account field (Instagram API with Facebook Login, "Get started").
ACCOUNTS = {
    "data": [
        {
            "instagram_business_account": {
                "id": "17841400008460056",
                "username": "kalrav_chai",
                "name": "Kalrav Chai",
                "profile_picture_url": "https://scontent.cdninstagram.com/p.jpg",
            },
            "access_token": "page-token-a",
            "name": "Kalrav Chai",
            "id": "101",
        },
        {"access_token": "page-token-b", "name": "No Instagram here", "id": "102"},
    ],
    "paging": {"cursors": {"before": "a", "after": "b"}},
}


def test_is_a_many_accounts_sign_in():
    assert issubclass(InstagramConnector, OAuthConnectMany)


def test_each_page_with_an_instagram_account_is_a_connection(meta_app):
    with respx.mock(assert_all_called=True) as router:
        router.get(url__regex=r".*/oauth/access_token.*").mock(
            side_effect=[
                httpx.Response(200, json={"access_token": "short", "token_type": "bearer"}),
                httpx.Response(200, json={"access_token": "long", "expires_in": 5183944}),
            ]
        )
        accounts = router.get(url__regex=r".*/me/accounts.*").mock(
            return_value=httpx.Response(200, json=ACCOUNTS)
        )
        found = oauth.finish_many(
            {"redirect_uri": "https://kalrav.example.org/cb"}, "code-1", http_options=HTTP_OPTIONS
        )
    [connection] = found
    assert connection.account.handle == "kalrav_chai"
    assert connection.config == {
        "ig_user_id": "17841400008460056",
        "page_id": "101",
        "login": "facebook",
    }
    assert connection.credentials == {"access_token": "page-token-a"}
    assert connection.expires_at is not None
    asked = accounts.calls.last.request.url.params["fields"]
    assert asked.startswith("instagram_business_account{id,username,name,profile_picture_url}")


def test_the_dialog_asks_for_instagram_permissions(meta_app):
    url, kept = InstagramConnector.oauth_start(
        "", redirect_uri="https://kalrav.example.org/cb", state="s1"
    )
    assert "instagram_content_publish" in url and kept["redirect_uri"].endswith("/cb")


@pytest.mark.parametrize("scope", oauth.SCOPES)
def test_scopes_are_named(scope):
    assert scope.replace("_", "").isalpha()
