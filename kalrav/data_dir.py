"""The data folder: private to the user that runs Kalrav, and writable, or Kalrav says why not.

Everything in it is for that user's eyes only: the database and its WAL, the queue (task arguments),
uploaded media, the outbox of password-reset links and the secret key. So every `kalrav` command
starts with umask 077 (new files 0600, new folders 0700), the folder itself is made 0700, and the
secret key is created 0600 before its first byte is written, never widened and then narrowed.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from pathlib import Path

PRIVATE_UMASK = 0o077
SECRET_KEY_FILE = "secret_key"  # noqa: S105 - the file's name, not a key


class DataFolderUnusable(Exception):
    """The data folder cannot be created or written; the message says which and what to do."""

    def __init__(self, path: Path, reason: str):
        self.path = path
        super().__init__(
            f"the data folder {path} is not writable ({reason}): give the user running Kalrav "
            "write access to it, or set KALRAV_DATA_DIR to a folder it can write"
        )


def _reason(error: OSError) -> str:
    return error.strerror or type(error).__name__


def restrict_umask() -> None:
    os.umask(PRIVATE_UMASK)


def prepare(path: Path) -> None:
    """Create a folder Kalrav writes to (0700), refusing with a one-line reason if it cannot."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as error:
        raise DataFolderUnusable(path, _reason(error)) from None


def secret_key(folder: Path) -> str:
    """The key kept in the folder, made on first use; several processes may start at once."""
    key_file = folder / SECRET_KEY_FILE
    try:
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_key(key_file)
    except OSError as error:
        raise DataFolderUnusable(folder, _reason(error)) from None
    key = secrets.token_urlsafe(50)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(key)
        handle.flush()
        os.fsync(handle.fileno())
    return key


def _read_key(key_file: Path) -> str:
    # Another process may have created the file a moment ago and not written it yet.
    for _attempt in range(100):
        try:
            key = key_file.read_text().strip()
        except OSError as error:
            raise DataFolderUnusable(key_file.parent, _reason(error)) from None
        if key:
            return key
        time.sleep(0.05)
    raise DataFolderUnusable(key_file.parent, f"{key_file.name} is empty")


def writable_problem(folder: Path) -> str | None:
    """Why a file cannot be written in the folder right now (read-only, full, no access), or None."""
    probe = folder / f".kalrav-write-check-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        descriptor = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(descriptor, b"ok")
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
    except OSError as error:
        return _reason(error)
    finally:
        with contextlib.suppress(OSError):
            probe.unlink()
    return None


def loose_permissions(folder: Path) -> bool:
    """The folder lets other users in (made before Kalrav made it private, or by hand)."""
    try:
        return bool(folder.stat().st_mode & 0o077)
    except OSError:
        return False
