"""Fixtures the publishing tests share."""

from __future__ import annotations

import json

import pytest

from kalrav.api import tokens
from kalrav.workspaces.audit import Actor


@pytest.fixture
def call(client, members, workspace):
    def call(role, method, path, body=None):
        member = members[role]
        token = tokens.create_token(member, Actor(user=member.user), name="t", role=member.role)[1]
        return client.generic(
            method,
            f"/api/v1/workspaces/{workspace.slug}{path}",
            data=json.dumps(body) if body is not None else "",
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )

    return call
