"""What Kalrav writes is readable by its own user only (issue 15, finding 8)."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
from pathlib import Path
from unittest import mock

from django.core import mail
from huey.contrib.djhuey import HUEY

from kalrav import data_dir
from kalrav.workspaces.models import Invitation

STORE_MEDIA = """
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
default_storage.save("w/leaf.png", ContentFile(b"leaf"))
"""


def _kalrav(data: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE",)}
    for name in ("DATABASE_URL", "REDIS_URL", "KALRAV_SECRET_KEY", "KALRAV_EMAIL_HOST"):
        env.pop(name, None)
    env["KALRAV_DATA_DIR"] = str(data)
    return subprocess.run(
        [sys.executable, "-m", "kalrav", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        # The permissive umask most shells start with: Kalrav must not depend on a stricter one.
        preexec_fn=lambda: os.umask(0o022),
    )


def _loose(path: Path) -> list[str]:
    """Every file or folder under path that someone other than its owner could read."""
    found = []
    for item in [path, *path.rglob("*")]:
        mode = stat.S_IMODE(item.lstat().st_mode)
        if mode & 0o077:
            found.append(f"{item.relative_to(path.parent)} {oct(mode)}")
    return found


def test_the_data_folder_and_everything_in_it_are_private(tmp_path):
    data = tmp_path / "data"
    migrated = _kalrav(data, "migrate", "-v0")
    assert migrated.returncode == 0, migrated.stderr
    mailed = _kalrav(data, "sendtestemail", "someone@example.test")
    assert mailed.returncode == 0, mailed.stderr
    stored = _kalrav(data, "shell", "-v", "0", "-c", STORE_MEDIA)
    assert stored.returncode == 0, stored.stderr
    assert (data / "media" / "w" / "leaf.png").exists()
    assert (data / "kalrav.sqlite3").exists() and (data / "queue.sqlite3").exists()
    assert any((data / "outbox").iterdir()), "the outbox holds the email"
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert _loose(data) == []


def test_the_secret_key_is_private_from_its_first_byte(tmp_path):
    """The file never exists with wider permissions, not even between creating and chmod."""
    key = tmp_path / "secret_key"
    modes_at_creation: list[int] = []
    real_os_open, real_io_open = os.open, io.open

    def watch(opened):
        if key.exists() and not modes_at_creation:
            modes_at_creation.append(stat.S_IMODE(key.stat().st_mode))
        return opened

    def spy_os_open(path, flags, mode=0o777, *args, **kwargs):
        return watch(real_os_open(path, flags, mode, *args, **kwargs))

    def spy_io_open(file, *args, **kwargs):
        return watch(real_io_open(file, *args, **kwargs))

    previous = os.umask(0)  # the worst case: nothing masked
    try:
        with mock.patch("os.open", spy_os_open), mock.patch("io.open", spy_io_open):
            secret = data_dir.secret_key(tmp_path)
    finally:
        os.umask(previous)
    assert modes_at_creation == [0o600]
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert len(secret) >= 50
    assert data_dir.secret_key(tmp_path) == secret, "made once, then read back"


def test_no_invitation_token_travels_through_the_queue(client, members, workspace):
    sent = []
    real_enqueue = HUEY.enqueue

    def record(task):
        sent.append(repr((task.args, task.kwargs)))
        return real_enqueue(task)

    client.force_login(members["manager"].user)
    with mock.patch.object(HUEY, "enqueue", side_effect=record):
        response = client.post(
            f"/w/{workspace.slug}/settings/members/",
            {"email": "newcomer@example.test", "role": "editor"},
        )
    assert response.status_code == 302
    assert sent, "the email goes through the queue"
    link = mail.outbox[-1].body.split("/invite/", 1)[1].split("/", 1)[0]
    assert all(link not in arguments for arguments in sent)
    invitation = Invitation.objects.get(email="newcomer@example.test")
    stored = " ".join(str(value) for value in vars(invitation).values())
    assert link not in stored
    assert client.get(f"/invite/{link}/").status_code == 200
