"""`kalrav backup PATH` and `kalrav restore PATH`: everything needed to bring an installation back.

A backup is a folder (private, like the data folder) holding:
- the database: for SQLite a consistent copy made by SQLite's online backup API while Kalrav keeps
  running (readers and the writer are not stopped; the copy is one snapshot); for PostgreSQL a
  `pg_dump --format=custom` file when pg_dump is installed, otherwise the command says how;
- the SQLite task queue, when the queue is not on Redis (tasks waiting to run);
- the media (uploads and renditions), copied after the database, so every file the copy names is
  there;
- the secret key file, unless KALRAV_SECRET_KEY comes from the environment. Channel credentials and
  two-factor seeds are encrypted with keys derived from it, or with KALRAV_ENCRYPTION_KEYS when that
  is set: such keys live outside the data folder and must be kept with the backup by hand;
- manifest.json, which says what is inside and what was left to the operator.

`restore` puts a backup into the configured data folder and database, refusing one that already
holds data unless told --force, then migrates (a backup from an older Kalrav) and checks that the
channel credentials decrypt with the keys it now has.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import DatabaseError, connections

from kalrav import crypto, data_dir

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_FILE = "kalrav.sqlite3"
QUEUE_FILE = "queue.sqlite3"
PG_DUMP_FILE = "database.pgdump"
MEDIA = "media"


class BackupError(Exception):
    """The backup or restore cannot go on; the message says why and what to do."""


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def line(self, text: str) -> None:
        self.lines.append(text)

    def note(self, text: str) -> None:
        self.notes.append(text)


def _database() -> dict[str, Any]:
    return connections["default"].settings_dict


def _is_sqlite() -> bool:
    return _database()["ENGINE"].endswith("sqlite3")


def _queue_file() -> Path | None:
    filename = settings.HUEY.get("filename") if isinstance(settings.HUEY, dict) else None
    return Path(str(filename)) if filename else None


def _sqlite_copy(source: Path, target: Path) -> None:
    """One consistent snapshot of a live SQLite database (its WAL included), made by SQLite's
    backup API in a single step: it reads while Kalrav's writer goes on."""
    src = sqlite3.connect(source, timeout=60)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


def _pg_environment() -> tuple[list[str], dict[str, str]]:
    db = _database()
    args = ["--host", db.get("HOST") or "localhost", "--port", str(db.get("PORT") or 5432)]
    if db.get("USER"):
        args += ["--username", db["USER"]]
    env = {"PGPASSWORD": db["PASSWORD"]} if db.get("PASSWORD") else {}
    return args, env


def _run(command: list[str], extra_env: dict[str, str]) -> None:
    result = subprocess.run(  # noqa: S603 - the program is pg_dump/pg_restore found on PATH
        command, env={**os.environ, **extra_env}, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {result.stderr.strip()[-500:]}")


def _pg_dump(target: Path, report: Report) -> str:
    program = shutil.which("pg_dump")
    name = _database()["NAME"]
    if program is None:
        report.note(
            "pg_dump is not installed here, so the database is NOT in this backup. On a machine "
            f"with PostgreSQL's client tools run: pg_dump --format=custom --file={PG_DUMP_FILE} "
            f"'<DATABASE_URL>' and keep the file in this folder; `kalrav restore` then loads it."
        )
        return "left to the operator (pg_dump missing)"
    args, env = _pg_environment()
    dump = str(target / PG_DUMP_FILE)
    _run([program, "--format=custom", "--no-owner", "--file", dump, *args, name], env)
    report.line(f"database: PostgreSQL {name} dumped to {PG_DUMP_FILE}")
    return PG_DUMP_FILE


def create(path: Path) -> Report:
    report = Report()
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise BackupError(f"{path} exists and is not an empty folder: choose a new one.")
    data_dir.prepare(path)
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(),
        "kalrav_version": metadata.version("kalrav"),
    }

    if _is_sqlite():
        _sqlite_copy(Path(_database()["NAME"]), path / SQLITE_FILE)
        manifest["database"] = {"engine": "sqlite", "file": SQLITE_FILE}
        report.line(f"database: SQLite copied to {SQLITE_FILE} (online backup API)")
    else:
        manifest["database"] = {"engine": "postgresql", "file": _pg_dump(path, report)}

    queue = _queue_file()
    if queue is not None and queue.exists():
        _sqlite_copy(queue, path / QUEUE_FILE)
        manifest["queue"] = QUEUE_FILE
        report.line(f"queue: waiting tasks copied to {QUEUE_FILE}")
    elif settings.REDIS_URL:
        report.note("The task queue is on Redis and is not in this backup (waiting tasks only).")

    media = Path(settings.MEDIA_ROOT)
    files = 0
    if media.is_dir():
        shutil.copytree(media, path / MEDIA, symlinks=False)
        files = sum(1 for item in (path / MEDIA).rglob("*") if item.is_file())
    manifest["media_files"] = files
    report.line(f"media: {files} files copied to {MEDIA}/")

    key_file = Path(settings.DATA_DIR) / data_dir.SECRET_KEY_FILE
    if key_file.exists() and not _secret_key_from_environment():
        shutil.copy2(key_file, path / data_dir.SECRET_KEY_FILE)
        manifest["secret_key"] = data_dir.SECRET_KEY_FILE
        report.line("secret key: copied")
    else:
        manifest["secret_key"] = "KALRAV_SECRET_KEY"  # noqa: S105 - names where the key lives
        report.note(
            "KALRAV_SECRET_KEY comes from the environment and is not in this backup: keep it "
            "with the backup."
        )
    if settings.ENCRYPTION_KEYS:
        manifest["encryption_keys"] = "KALRAV_ENCRYPTION_KEYS"
        report.note(
            "KALRAV_ENCRYPTION_KEYS is set and is not in this backup: keep those keys with it, "
            "or the channel credentials and two-factor seeds in it cannot be read."
        )
    else:
        manifest["encryption_keys"] = "derived from the secret key"
    (path / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return report


def _secret_key_from_environment() -> bool:
    return bool(os.environ.get("KALRAV_SECRET_KEY", "").strip())


# --- restore --------------------------------------------------------------------------------


def _read_manifest(path: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((path / MANIFEST).read_text())
    except (OSError, ValueError):
        raise BackupError(f"{path} is not a Kalrav backup (no readable {MANIFEST}).") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is a backup in a format this Kalrav does not read.")
    return manifest


def _in_use() -> list[str]:
    """What already lives where the backup would go; empty for a fresh installation."""
    found = []
    connection = connections["default"]
    try:
        with connection.cursor() as cursor:
            if "django_migrations" in connection.introspection.table_names(cursor):
                cursor.execute("SELECT COUNT(*) FROM django_migrations")
                if cursor.fetchone()[0]:
                    found.append("a database")
    except DatabaseError as error:
        raise BackupError(f"the database cannot be reached: {error}") from None
    media = Path(settings.MEDIA_ROOT)
    if media.is_dir() and any(item.is_file() for item in media.rglob("*")):
        found.append("media files")
    return found


def _replace_sqlite(source: Path, target: Path) -> None:
    """Put a database file in place whole; a handle still open on the old one keeps the old."""
    for leftover in (Path(f"{target}-wal"), Path(f"{target}-shm")):
        leftover.unlink(missing_ok=True)
    staging = target.with_name(f".{target.name}.restoring")
    shutil.copyfile(source, staging)
    os.replace(staging, target)


def _restore_database(path: Path, manifest: dict[str, Any], report: Report) -> None:
    saved = manifest["database"]
    connections.close_all()
    if saved["engine"] == "sqlite":
        if not _is_sqlite():
            raise BackupError(
                "this backup holds a SQLite database but DATABASE_URL names PostgreSQL: load it "
                "into SQLite (unset DATABASE_URL), then move the data with dumpdata/loaddata."
            )
        _replace_sqlite(path / saved["file"], Path(_database()["NAME"]))
        report.line("database: SQLite restored")
        return
    if _is_sqlite():
        raise BackupError("this backup holds a PostgreSQL dump: set DATABASE_URL to PostgreSQL.")
    dump = path / PG_DUMP_FILE
    program = shutil.which("pg_restore")
    if not dump.exists():
        raise BackupError(f"the database dump {dump} is missing (see the backup's notes).")
    if program is None:
        raise BackupError(
            f"pg_restore is not installed here: run pg_restore --clean --if-exists --no-owner "
            f"--dbname='<DATABASE_URL>' {dump}, then `kalrav restore` again with --force."
        )
    args, env = _pg_environment()
    name = _database()["NAME"]
    _run([program, "--clean", "--if-exists", "--no-owner", *args, "--dbname", name, str(dump)], env)
    report.line(f"database: PostgreSQL {name} restored")


def _restore_files(path: Path, manifest: dict[str, Any], force: bool, report: Report) -> None:
    queue = _queue_file()
    if manifest.get("queue") and queue is not None:
        _replace_sqlite(path / manifest["queue"], queue)
        report.line("queue: waiting tasks restored")
    media = Path(settings.MEDIA_ROOT)
    if force and media.is_dir():
        shutil.rmtree(media)
    if (path / MEDIA).is_dir():
        shutil.copytree(path / MEDIA, media, dirs_exist_ok=True)
    report.line(f"media: {manifest.get('media_files', 0)} files restored")
    if manifest.get("secret_key") == data_dir.SECRET_KEY_FILE:
        key = (path / data_dir.SECRET_KEY_FILE).read_text().strip()
        if _secret_key_from_environment():
            report.note(
                "KALRAV_SECRET_KEY is set here and wins over the key in the backup: unset it if "
                "the restored installation should keep its own."
            )
        else:
            target = Path(settings.DATA_DIR) / data_dir.SECRET_KEY_FILE
            staging = target.with_name(f".{target.name}.restoring")
            staging.unlink(missing_ok=True)
            descriptor = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as handle:
                handle.write(key)
            os.replace(staging, target)
            # This process goes on with the key the next start will read.
            settings.SECRET_KEY = key
            crypto.reset_keys_cache()
            report.line("secret key: restored")
    else:
        report.note("The backup holds no secret key: KALRAV_SECRET_KEY must be the one it had.")


def _check(report: Report) -> None:
    """Count what came back and prove the encrypted secrets decrypt with the keys now set."""
    counts = {
        label: apps.get_model(app, model)._base_manager.count()
        for label, (app, model) in {
            "posts": ("publishing", "Post"),
            "messages": ("inbox", "Message"),
            "channels": ("channels", "Channel"),
        }.items()
    }
    sealed = list(
        apps.get_model("channels", "Channel")
        ._base_manager.exclude(credentials="")
        .values_list("credentials", flat=True)
    )
    seeds = list(
        apps.get_model("accounts", "User")
        .objects.exclude(totp_secret="")
        .values_list("totp_secret", flat=True)
    )
    unreadable = 0
    for value in [*sealed, *seeds]:
        try:
            crypto.decrypt(value)
        except crypto.DecryptionFailed:
            unreadable += 1
    total = len(sealed) + len(seeds)
    report.line(
        f"checked: {counts['posts']} posts, {counts['messages']} messages, "
        f"{counts['channels']} channels; {total - unreadable} of {total} encrypted secrets "
        f"decrypt ({len(sealed)} channel credentials, {len(seeds)} two-factor seeds)"
    )
    if unreadable:
        raise BackupError(
            f"restored, but {unreadable} encrypted secrets cannot be decrypted: set "
            "KALRAV_ENCRYPTION_KEYS (or KALRAV_SECRET_KEY) to the keys of the installation "
            "that made the backup."
        )


def restore(path: Path, *, force: bool = False) -> Report:
    report = Report()
    manifest = _read_manifest(path)
    occupied = _in_use()
    if occupied and not force:
        raise BackupError(
            f"this installation already holds {' and '.join(occupied)}: restore into a fresh "
            "data folder (KALRAV_DATA_DIR) and database, or pass --force to replace them."
        )
    _restore_database(path, manifest, report)
    _restore_files(path, manifest, force, report)
    connections.close_all()
    call_command("migrate", interactive=False, verbosity=0)
    report.line("database: migrated to this version of Kalrav")
    _check(report)
    return report
