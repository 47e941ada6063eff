"""The publishing API drives the same rules as the pages."""

from __future__ import annotations

import base64
from datetime import datetime

import pytest
from django.utils import timezone

from kalrav.publishing import workspace_settings
from kalrav.publishing.tests.helpers import channel, png_bytes
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_write_approve_schedule_and_read_the_calendar(call, workspace, members, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    bluesky = channel(workspace)
    owner = members["owner"]

    workspace_settings.update_publishing_settings(
        owner, Actor(user=owner.user), require_approval=True, reapprove_after_edit=True
    )
    image = call(
        "editor",
        "POST",
        "/media",
        {
            "filename": "cup.png",
            "content_base64": base64.b64encode(png_bytes()).decode(),
            "alt_text": "A cup of tea",
        },
    )
    assert image.status_code == 201 and image.json()["mime_type"] == "image/png"
    made = call(
        "editor",
        "POST",
        "/posts",
        {
            "title": "Tea",
            "text": "Fresh tea",
            "channel_ids": [bluesky.pk],
            "media_ids": [image.json()["id"]],
        },
    )
    assert made.status_code == 201, made.content
    variant = made.json()["variants"][0]
    assert variant["media_ids"] == [image.json()["id"]]
    refused = call(
        "editor",
        "POST",
        f"/variants/{variant['id']}/schedule",
        {"scheduled_at": "2099-01-02T09:30:00+05:30"},
    )
    assert refused.status_code == 400 and "approval" in refused.json()["message"]
    assert (
        call("editor", "POST", f"/variants/{variant['id']}/submit", {"comment": "ok?"}).json()[
            "state"
        ]
        == "pending_approval"
    )
    waiting = call("client", "GET", "/approvals").json()
    assert [w["variant_id"] for w in waiting] == [variant["id"]]
    assert (
        call("client", "POST", f"/variants/{variant['id']}/approve").json()["state"] == "approved"
    )
    scheduled = call(
        "editor",
        "POST",
        f"/variants/{variant['id']}/schedule",
        {"scheduled_at": "2099-01-02T09:30:00+05:30"},
    )
    assert scheduled.json()["state"] == "scheduled"
    entries = call("analyst", "GET", "/calendar?start=2099-01-01&end=2099-01-31").json()
    assert [(e["day"], e["local_time"]) for e in entries] == [("2099-01-02", "09:30")]
    check = call("analyst", "GET", f"/variants/{variant['id']}/check").json()
    assert check["valid"] and check["limit"] == 300


def test_a_bad_upload_is_refused_by_content(call, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    response = call(
        "editor",
        "POST",
        "/media",
        {
            "filename": "cup.png",
            "content_base64": base64.b64encode(b"not a picture at all").decode(),
        },
    )
    assert response.status_code == 400 and response.json()["code"] == "invalid_value"


def test_publish_now_puts_a_variant_due_at_once_for_publishers_only(call, workspace):
    bluesky = channel(workspace)
    made = call(
        "editor",
        "POST",
        "/posts",
        {"title": "Tea", "text": "Fresh tea", "channel_ids": [bluesky.pk]},
    )
    variant = made.json()["variants"][0]
    path = f"/variants/{variant['id']}/publish-now"
    assert call("editor", "POST", path).status_code == 403
    before = timezone.now()
    answer = call("manager", "POST", path)
    assert answer.status_code == 200, answer.content
    assert answer.json()["state"] == "scheduled"
    due = datetime.fromisoformat(answer.json()["scheduled_at"])
    assert before <= due <= timezone.now()
    assert AuditEntry.objects.filter(action="variant.publish_now").count() == 1
