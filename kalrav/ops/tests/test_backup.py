"""`kalrav backup` and `kalrav restore` (issue 15, finding 14): a backup made while Kalrav runs,
restored into a fresh data folder, gives back every post, message, channel credential and file."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from kalrav import crypto

pytestmark = pytest.mark.django_db(transaction=True)

READ_BACK = """
import json
from django.apps import apps
from kalrav import crypto
Channel = apps.get_model("channels", "Channel")
Asset = apps.get_model("publishing", "MediaAsset")
print(json.dumps({
    "posts": sorted(apps.get_model("publishing", "Post").objects.values_list("text", flat=True)),
    "messages": sorted(apps.get_model("inbox", "Message").objects.values_list("text", flat=True)),
    "credentials": {c.name: json.loads(crypto.decrypt(c.credentials)) for c in Channel._base_manager.all()},
    "media": {a.original_name: a.file.read().decode() for a in Asset.objects.all()},
}))
"""


@pytest.fixture
def sqlite_only():
    if connection.vendor != "sqlite":
        pytest.skip("restoring PostgreSQL needs a database of its own; docs/backup.md covers it")


def _kalrav(data: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    for name in ("DATABASE_URL", "REDIS_URL"):
        env.pop(name, None)
    env["KALRAV_DATA_DIR"] = str(data)
    return subprocess.run(
        [sys.executable, "-m", "kalrav", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _some_of_everything(workspace, owner):
    Channel = apps.get_model("channels", "Channel")
    Conversation = apps.get_model("inbox", "Conversation")
    Message = apps.get_model("inbox", "Message")
    Post = apps.get_model("publishing", "Post")
    Asset = apps.get_model("publishing", "MediaAsset")
    secrets = {
        "Shanti on Bluesky": {"app_password": "abcd-efgh-ijkl-mnop"},
        "Shanti on Mastodon": {"access_token": "tok-123", "refresh_token": "ref-456"},
    }
    channels = [
        Channel.objects.create(
            workspace=workspace,
            network="bluesky" if "Bluesky" in name else "mastodon",
            name=name,
            credentials=crypto.encrypt(json.dumps(values)),
        )
        for name, values in secrets.items()
    ]
    for text in ("Fresh tea at dawn", "Monsoon blend is back"):
        Post.objects.create(workspace=workspace, text=text, author=owner)
    conversation = Conversation.objects.create(
        workspace=workspace, channel=channels[0], root_remote_id="at://1", kind="reply"
    )
    for n, text in enumerate(("Where can I buy it?", "In every shop in Kolkata")):
        Message.objects.create(
            conversation=conversation,
            channel=channels[0],
            remote_id=f"at://{n}",
            kind="reply",
            text=text,
            created_at=timezone.now(),
        )
    asset = Asset(
        workspace=workspace, original_name="leaf.txt", kind="image", mime_type="image/png", size=4
    )
    asset.file.save("leaf.png", ContentFile(b"leaf"), save=True)
    return secrets


def test_backup_then_restore_into_a_fresh_data_folder(sqlite_only, members, tmp_path):
    owner = members["owner"]
    secrets = _some_of_everything(owner.workspace, owner.user)
    backup_dir = tmp_path / "backup"

    # Online: another connection is in the middle of a write while the copy is made.
    writer = sqlite3.connect(connection.settings_dict["NAME"], timeout=30)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute(
        "INSERT INTO publishing_post (workspace_id, title, text, campaign, tags, notes, created_at, updated_at)"
        " VALUES (?, '', 'not committed yet', '', '[]', '', ?, ?)",
        (owner.workspace.pk, timezone.now().isoformat(), timezone.now().isoformat()),
    )
    try:
        call_command("backup", str(backup_dir), stdout=open(os.devnull, "w"))  # noqa: SIM115
    finally:
        writer.rollback()
        writer.close()

    assert stat.S_IMODE(backup_dir.stat().st_mode) == 0o700
    manifest = json.loads((backup_dir / "manifest.json").read_text())
    assert manifest["database"] == {"engine": "sqlite", "file": "kalrav.sqlite3"}

    fresh = tmp_path / "fresh"
    restored = _kalrav(fresh, "restore", str(backup_dir))
    assert restored.returncode == 0, restored.stderr
    assert "2 of 2 encrypted secrets decrypt" in restored.stdout
    read = _kalrav(fresh, "shell", "-v", "0", "-c", READ_BACK)
    assert read.returncode == 0, read.stderr
    found = json.loads(read.stdout)
    assert found["posts"] == ["Fresh tea at dawn", "Monsoon blend is back"]
    assert found["messages"] == ["In every shop in Kolkata", "Where can I buy it?"]
    assert found["credentials"] == secrets
    assert found["media"] == {"leaf.txt": "leaf"}
    if not os.environ.get("KALRAV_SECRET_KEY"):
        assert (fresh / "secret_key").read_text() == (settings.DATA_DIR / "secret_key").read_text()

    # The restored folder now holds data: a second restore must be asked for.
    again = _kalrav(fresh, "restore", str(backup_dir))
    assert again.returncode != 0
    assert "already holds a database and media files" in again.stderr
    forced = _kalrav(fresh, "restore", str(backup_dir), "--force")
    assert forced.returncode == 0, forced.stderr


def test_backup_refuses_a_folder_that_holds_something(db, tmp_path):
    (tmp_path / "old").write_text("x")
    with pytest.raises(CommandError, match="not an empty folder"):
        call_command("backup", str(tmp_path))


def test_restore_refuses_what_is_not_a_backup(db, tmp_path):
    with pytest.raises(CommandError, match="not a Kalrav backup"):
        call_command("restore", str(tmp_path))
