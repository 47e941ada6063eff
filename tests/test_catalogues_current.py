"""Every translatable string in the code is in the catalogues: `make messages` has been run."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import polib

from conftest import require_service

ROOT = Path(__file__).resolve().parent.parent


def test_catalogues_hold_every_string_in_the_code(tmp_path):
    if not shutil.which("xgettext"):
        require_service("GNU gettext (xgettext)")
    copy = tmp_path / "kalrav"
    shutil.copytree(
        ROOT / "kalrav", copy, ignore=shutil.ignore_patterns("__pycache__", "vendor", "*.mo")
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "django",
            "makemessages",
            "-l",
            "bn",
            "--no-obsolete",
            "--ignore",
            "static/vendor/*",
        ],
        cwd=copy,
        check=True,
        capture_output=True,
        env={
            "DJANGO_SETTINGS_MODULE": "kalrav.test_settings",
            "PYTHONPATH": str(tmp_path),
            "PATH": "/usr/bin:/bin",
        },
    )
    fresh = {
        (e.msgctxt, e.msgid)
        for e in polib.pofile(str(copy / "locale/bn/LC_MESSAGES/django.po"))
        if not e.obsolete
    }
    kept = {
        (e.msgctxt, e.msgid)
        for e in polib.pofile(str(ROOT / "kalrav/locale/bn/LC_MESSAGES/django.po"))
        if not e.obsolete
    }
    missing = sorted(msgid for _ctx, msgid in fresh - kept)
    assert missing == [], (
        f"{len(missing)} strings are not in the catalogues; run `make messages`: {missing[:5]}"
    )
