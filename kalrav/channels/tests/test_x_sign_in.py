"""X is connected by signing in (OAuth 2.0 with PKCE), with no server address to ask for."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

pytestmark = pytest.mark.django_db


def test_the_connect_page_offers_sign_in_with_x_without_a_server_field(client, members, workspace):
    client.force_login(members["owner"].user)
    page = client.get(f"/w/{workspace.slug}/settings/channels/connect/x/").content.decode()
    assert "Sign in with X" in page
    assert 'name="server"' not in page


def test_sign_in_goes_to_x_with_a_pkce_challenge(client, members, workspace, settings):
    settings.X_CLIENT_ID = "kalrav-test-app"
    client.force_login(members["owner"].user)
    response = client.post(f"/w/{workspace.slug}/settings/channels/connect/x/sign-in/")
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    query = parse_qs(target.query)
    assert query["client_id"] == ["kalrav-test-app"]
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert "offline.access" in query["scope"][0]


def test_without_the_operators_app_the_person_is_told_what_is_missing(
    client, members, workspace, settings
):
    settings.X_CLIENT_ID = ""
    client.force_login(members["owner"].user)
    response = client.post(f"/w/{workspace.slug}/settings/channels/connect/x/sign-in/", follow=True)
    assert "KALRAV_X_CLIENT_ID" in response.content.decode()
