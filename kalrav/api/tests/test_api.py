from __future__ import annotations

import json

import time_machine
from django.utils import timezone

from kalrav.api import tokens
from kalrav.api.models import ApiToken
from kalrav.workspaces import services
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import AuditEntry, BrandProfile


def _token(member, role=None, days=None):
    return tokens.create_token(
        member, Actor(user=member.user), name="script", role=role or member.role, days=days
    )


def _auth(token):
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def _patch(client, url, body, token):
    raw = body if isinstance(body, str) else json.dumps(body)
    return client.patch(url, raw, content_type="application/json", **_auth(token))


def test_tokens_are_stored_hashed_and_shown_once(members):
    record, token = _token(members["manager"])
    assert token.startswith("kal_")
    stored = ApiToken.objects.get(pk=record.pk)
    assert token not in (stored.token_hash, stored.prefix)
    assert stored.prefix == token[:12]


def test_brand_profile_over_the_api_is_audited_as_api(client, members, workspace):
    _, token = _token(members["manager"])
    response = _patch(
        client,
        f"/api/v1/workspaces/{workspace.slug}/brand",
        {"mission": "Tea", "banned_words": ["cheap"]},
        token,
    )
    assert response.status_code == 200
    assert response.json()["mission"] == "Tea"
    entry = AuditEntry.objects.get(action="brand.update")
    assert entry.via == "api"
    assert "token kal_" in entry.actor_label


def test_revoked_and_expired_tokens_stop_working(client, members, workspace):
    record, token = _token(members["editor"], days=1)
    url = f"/api/v1/workspaces/{workspace.slug}"
    assert client.get(url, **_auth(token)).status_code == 200
    with time_machine.travel(timezone.now() + timezone.timedelta(days=2)):
        assert client.get(url, **_auth(token)).status_code == 401
    tokens.revoke_token(members["editor"], Actor(user=members["editor"].user), record.pk)
    response = client.get(url, **_auth(token))
    assert response.status_code == 401
    assert response.json() == {"code": "unauthenticated", "message": response.json()["message"]}


def test_token_acts_with_its_own_smaller_role(client, members, workspace):
    _, token = _token(members["manager"], role="analyst")
    response = _patch(client, f"/api/v1/workspaces/{workspace.slug}/brand", {"mission": "x"}, token)
    assert response.status_code == 403
    assert (
        client.get(f"/api/v1/workspaces/{workspace.slug}/brand", **_auth(token)).status_code == 200
    )


def test_token_cannot_outrank_a_member_who_was_demoted(client, members, workspace):
    _, token = _token(members["manager"])
    services.change_role(members["owner"], Actor(), members["manager"].pk, "agent")
    assert client.get(f"/api/v1/workspaces/{workspace.slug}", **_auth(token)).status_code == 401


def test_token_of_a_removed_member_stops_working(client, members, workspace):
    _, token = _token(members["editor"])
    services.remove_member(members["owner"], Actor(), members["editor"].pk)
    assert client.get(f"/api/v1/workspaces/{workspace.slug}", **_auth(token)).status_code == 401


def test_token_for_a_role_above_the_member_is_refused(client, members, workspace):
    client.force_login(members["editor"].user)
    response = client.post(
        f"/w/{workspace.slug}/settings/tokens/", {"name": "x", "role": "manager"}
    )
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_token_is_bound_to_its_workspace(client, members, workspace, outsider):
    _, token = _token(members["owner"])
    listed = client.get("/api/v1/workspaces", **_auth(token)).json()
    assert [w["slug"] for w in listed] == [workspace.slug]
    other = services.create_workspace(members["owner"].user, Actor(), name="Second brand")
    assert client.get(f"/api/v1/workspaces/{other.slug}", **_auth(token)).status_code == 404


def test_malformed_json_body_is_a_clear_error_and_changes_nothing(client, members, workspace):
    _, token = _token(members["owner"])
    url = f"/api/v1/workspaces/{workspace.slug}/brand"
    response = _patch(client, url, '{"mission": "unterminated', token)
    assert response.status_code in (400, 422)
    assert response.json()["code"] in ("invalid_request", "invalid_value")
    wrong_type = _patch(client, url, {"banned_words": "not a list", "mission": "Changed"}, token)
    assert wrong_type.status_code == 422
    body = wrong_type.json()
    assert body["code"] == "invalid_request"
    assert body["problems"][0]["field"] == "banned_words"
    assert BrandProfile.objects.get(workspace=workspace).mission == ""


def test_business_rule_errors_are_json_with_the_field(client, members, workspace):
    _, token = _token(members["owner"])
    response = _patch(
        client, f"/api/v1/workspaces/{workspace.slug}", {"time_zone": "Nowhere/Town"}, token
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_value"
    assert response.json()["problems"][0]["field"] == "time_zone"
    response = client.post(
        f"/api/v1/workspaces/{workspace.slug}/invitations",
        json.dumps({"email": "x@example.test", "role": "emperor"}),
        content_type="application/json",
        **_auth(token),
    )
    assert response.status_code == 400
    assert response.json()["problems"][0]["field"] == "role"


def test_audit_endpoint_filters(client, members, workspace):
    owner = members["owner"]
    services.update_brand_profile(owner, Actor(user=owner.user), mission="a")
    services.change_role(owner, Actor(user=owner.user), members["agent"].pk, "editor")
    _, token = _token(owner)
    entries = client.get(
        f"/api/v1/workspaces/{workspace.slug}/audit?action=member.role", **_auth(token)
    ).json()
    assert [e["action"] for e in entries] == ["member.role"]
    assert entries[0]["changes"] == {"role": ["agent", "editor"]}


def test_session_api_needs_csrf_for_writes(members, workspace):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(members["owner"].user)
    assert browser.get(f"/api/v1/workspaces/{workspace.slug}/brand").status_code == 200
    response = browser.patch(
        f"/api/v1/workspaces/{workspace.slug}/brand",
        json.dumps({"mission": "x"}),
        content_type="application/json",
    )
    assert response.status_code in (401, 403)
    assert BrandProfile.objects.get(workspace=workspace).mission == ""


def test_openapi_schema_and_docs_page(client, members):
    client.force_login(members["client"].user)
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["info"]["title"] == "Kalrav API"
    assert "/api/v1/workspaces/{ws}/brand" in schema["paths"]
    docs = client.get("/api/v1/docs").content.decode()
    assert "cdn" not in docs.lower(), "the docs page must not load from a CDN"
