"""Settings for the test suite: the real settings, with a throwaway data directory and fast hashing.

DATABASE_URL and REDIS_URL still come from the environment, so CI runs the same suite on SQLite
and on PostgreSQL with Redis.
"""

import atexit
import os
import shutil
import tempfile

os.environ.setdefault("KALRAV_DATA_DIR", tempfile.mkdtemp(prefix="kalrav-test-"))

from kalrav.settings import *  # noqa: F403
from kalrav.settings import HUEY, STORAGES

# Tasks run inline in tests; the real consumer is exercised by tests/test_serve.py.
HUEY = {**HUEY, "immediate": True}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file rather than Django's in-memory default: the live server's threads then open
    # connections of their own instead of sharing the test's one, which concurrent requests (the
    # composer's checks, the inbox's polls) could leave inside a broken transaction. Measured: no
    # slower than memory (in /dev/shm where there is one). Subprocesses inherit the same path.
    if "KALRAV_TEST_DATABASE" not in os.environ:
        _shm = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108 (mkdtemp: private)
        _directory = tempfile.mkdtemp(prefix="kalrav-testdb-", dir=_shm)
        os.environ["KALRAV_TEST_DATABASE"] = os.path.join(_directory, "test.sqlite3")
        atexit.register(shutil.rmtree, _directory, ignore_errors=True)
    DATABASES["default"]["TEST"] = {"NAME": os.environ["KALRAV_TEST_DATABASE"]}  # noqa: F405
