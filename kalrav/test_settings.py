"""Settings for the test suite: the real settings, with a throwaway data directory and fast hashing.

DATABASE_URL and REDIS_URL still come from the environment, so CI runs the same suite on SQLite
and on PostgreSQL with Redis.
"""

import os
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
