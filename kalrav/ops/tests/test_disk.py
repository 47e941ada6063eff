"""A full disk or a read-only data folder says so, and loses nothing (issue 15, finding 13)."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
from unittest import mock

import pytest
from django.db import connection

from kalrav.api import tokens
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import AuditEntry, BrandProfile

OUT_OF_SPACE = "The server is out of disk space; nothing was saved."
BIG = "tea " * 20000  # needs new database pages: more than the full disk leaves


@pytest.fixture
def full_sqlite_disk(db):
    """SQLite's own 'database or disk is full': the file may not grow by a single page."""
    if connection.vendor != "sqlite":
        pytest.skip("the page limit is SQLite's; PostgreSQL's full disk is simulated below")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA page_count")
        pages = cursor.fetchone()[0]

    def fill():
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA max_page_count = {pages + 1}")

    yield fill
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA max_page_count = 1073741823")


def test_a_full_disk_tells_the_user_and_keeps_what_was_saved(client, members, full_sqlite_disk):
    owner = members["owner"]
    workspace = owner.workspace
    client.force_login(owner.user)
    url = f"/w/{workspace.slug}/settings/brand/edit/"
    assert client.post(url, {"mission": "Honest tea"}).status_code == 302
    entries = AuditEntry.objects.count()

    full_sqlite_disk()
    response = client.post(url, {"mission": BIG, "vision": "Tea everywhere"})

    assert response.status_code == 507
    assert OUT_OF_SPACE in response.content.decode()
    profile = BrandProfile.objects.get(workspace=workspace)
    assert (profile.mission, profile.vision) == ("Honest tea", "")
    assert AuditEntry.objects.count() == entries


def test_a_full_disk_answers_the_api_in_json(client, members, full_sqlite_disk):
    owner = members["owner"]
    _, token = tokens.create_token(owner, Actor(user=owner.user), name="s", role="owner")
    full_sqlite_disk()
    response = client.patch(
        f"/api/v1/workspaces/{owner.workspace.slug}/brand",
        json.dumps({"mission": BIG}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 507
    assert response.json() == {"code": "disk_full", "message": OUT_OF_SPACE}


def test_no_space_for_a_file_is_the_same_message(client, members):
    owner = members["owner"]
    client.force_login(owner.user)
    no_space = OSError(errno.ENOSPC, "No space left on device")
    with mock.patch("kalrav.workspaces.services.update_brand_profile", side_effect=no_space):
        response = client.post(
            f"/w/{owner.workspace.slug}/settings/brand/edit/",
            {"mission": "x"},
            HTTP_HX_REQUEST="true",
        )
    assert response.status_code == 507
    assert OUT_OF_SPACE in response.content.decode()


def test_the_message_is_translated(client, members, full_sqlite_disk):
    owner = members["owner"]
    client.force_login(owner.user)
    client.cookies["django_language"] = "hi"
    full_sqlite_disk()
    response = client.post(f"/w/{owner.workspace.slug}/settings/brand/edit/", {"mission": BIG})
    assert response.status_code == 507
    assert OUT_OF_SPACE not in response.content.decode()


def test_healthz_fails_when_nothing_can_be_written(client, db):
    assert client.get("/healthz").json()["storage"] == {"ok": True, "detail": "writable"}
    no_space = OSError(errno.ENOSPC, "No space left on device")
    with mock.patch("kalrav.data_dir.os.write", side_effect=no_space):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["storage"] == {"ok": False, "detail": "No space left on device"}


def test_healthz_fails_when_the_database_refuses_writes(client, db):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's query_only stands for a read-only database file")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA query_only = ON")
    try:
        response = client.get("/healthz")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA query_only = OFF")
    assert response.status_code == 503
    assert response.json()["status"] == "failing"
    assert response.json()["storage"]["ok"] is False


def _bound_by_permissions() -> list[str]:
    """Root writes anywhere: without the capabilities that override file modes, it cannot."""
    if os.geteuid() != 0:
        return []
    if not shutil.which("setpriv"):
        pytest.skip("running as root without setpriv: a read-only folder cannot be simulated")
    return ["setpriv", "--bounding-set", "-dac_override,-dac_read_search,-fowner", "--"]


def test_serve_refuses_a_read_only_data_folder_in_one_line(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "static").mkdir()
    (data / "secret_key").write_text("k" * 50)
    os.chmod(data / "secret_key", 0o644)
    for folder in (tmp_path, data, data / "static"):
        os.chmod(folder, 0o555)  # noqa: S103 - read-only is the point
    hidden = ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL")
    env = {k: v for k, v in os.environ.items() if k not in hidden}
    env.update(KALRAV_DATA_DIR=str(data), HOME=str(tmp_path))
    try:
        result = subprocess.run(
            [*_bound_by_permissions(), sys.executable, "-m", "kalrav", "serve", "--port", "1"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        for folder in (tmp_path, data, data / "static"):
            os.chmod(folder, 0o755)  # noqa: S103 - back as pytest made it, to clean up
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert str(data) in lines[0] and "not writable" in lines[0]
    assert "Traceback" not in result.stderr
