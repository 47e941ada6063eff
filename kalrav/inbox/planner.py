"""Keeping SQLite's query planner informed about how many rows the inbox holds.

Without statistics SQLite guesses that `workspace_id = ?` selects about ten rows, so it walks the
whole list index in order even when a search found sixteen conversations (46 ms instead of 0.4 ms
at 200,000 messages, bench/RESULTS.md). PostgreSQL's autovacuum keeps its own statistics; SQLite
needs ANALYZE to be run, and with `analysis_limit` it samples each index instead of reading it.
"""

from __future__ import annotations

from django.db import connection

# Rows read per index: enough for the planner to tell a workspace from a search result, 0.2 s
# for the whole database at a million messages (a full ANALYZE takes about 1.5 s).
SAMPLE_ROWS = 10000


def refresh_statistics() -> bool:
    """Refresh SQLite's planner statistics; False (nothing to do) on other databases."""
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA analysis_limit={SAMPLE_ROWS}")
        cursor.execute("ANALYZE")
    return True
