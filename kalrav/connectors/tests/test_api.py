"""POST /api/v1/validate, as the composer and scripts call it."""

from __future__ import annotations

import json

import pytest

from kalrav.api import tokens
from kalrav.workspaces.audit import Actor

URL = "/api/v1/validate"
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"


def post(client, body, **headers):
    return client.post(URL, data=json.dumps(body), content_type="application/json", **headers)


@pytest.fixture
def signed_in(client, owner):
    client.force_login(owner)
    return client


def test_anonymous_callers_get_401(client):
    response = post(client, {"network": "bluesky", "text": "hi"})
    assert response.status_code == 401 and response.json()["code"] == "unauthenticated"


def test_any_token_may_validate(client, members):
    member = members["client"]  # the most limited role
    _record, token = tokens.create_token(
        member, Actor(user=member.user), name="plan", role=member.role
    )
    response = post(client, {"network": "x", "text": "সুপ্রভাত"}, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert response.json() == {
        "network": "x",
        "length": 8,
        "limit": 280,
        "valid": True,
        "problems": [],
    }


def test_problems_carry_code_point_and_utf16_positions(signed_in):
    text = FAMILY * 300 + "ক"  # 301 graphemes, the last one past the limit
    body = post(signed_in, {"network": "bluesky", "text": text}).json()
    assert body["valid"] is False and body["length"] == 301
    too_long = next(p for p in body["problems"] if p["code"] == "too_long")
    assert too_long["start"] == 300 * len(FAMILY) and too_long["utf16_start"] == 300 * 8
    assert too_long["target"] == "text"
    assert any(p["code"] == "too_many_bytes" for p in body["problems"])


def test_media_and_poll(signed_in):
    body = post(
        signed_in,
        {
            "network": "mastodon",
            "text": "কোনটা?",
            "media": [{"kind": "image", "mime_type": "image/png", "size": 20_000_000}],
            "poll": {"options": ["চা", "কফি"], "duration_seconds": 3600},
        },
    ).json()
    assert {(p["target"], p["code"]) for p in body["problems"]} == {
        ("media[0]", "media_too_large"),
        ("poll", "poll_with_media"),
    }


def test_instance_limit(signed_in):
    body = post(signed_in, {"network": "mastodon", "text": "ক" * 600, "limit": 1000}).json()
    assert body["valid"] is True and body["limit"] == 1000


def test_unknown_network_is_a_400_naming_the_field(signed_in):
    response = post(signed_in, {"network": "myspace", "text": "hi"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_value" and body["problems"][0]["field"] == "network"


def test_malformed_body_is_a_422(signed_in):
    response = post(signed_in, {"network": "x", "media": [{"kind": "hologram"}]})
    assert response.status_code == 422 and response.json()["code"] == "invalid_request"


def test_operation_declares_its_permission():
    from kalrav.api_root import api

    operation = api.get_openapi_schema(path_prefix="/api/v1")["paths"][URL]["post"]
    assert operation["x-kalrav-permission"] == "authenticated"
