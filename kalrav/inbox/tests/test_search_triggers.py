"""On SQLite, inbox search lives in FTS5 tables kept by triggers, and a migration that rebuilds
`inbox_message` or `inbox_conversation` (any column change does) drops those triggers without a
word: search then silently stops finding new messages. Two migrations of session 9 had to be
written by hand because of it. This test fails the build the day a migration forgets."""

from __future__ import annotations

import pytest
from django.db import connection

TRIGGERS = {
    f"inbox_{table}_fts_{event}"
    for table in ("message", "people")
    for event in ("insert", "update", "delete")
}


@pytest.mark.django_db
def test_every_search_trigger_exists_after_all_migrations():
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL searches with indexes on the tables themselves, no triggers")
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        present = {name for (name,) in cursor.fetchall()}
    assert present >= TRIGGERS, f"dropped by a migration: {sorted(TRIGGERS - present)}"
