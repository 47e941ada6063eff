"""Indexes for the inbox at a million messages (bench/inbox_scale.py).

- The to-do list (new, open, pending) in both of its orders, each ending with the id the order
  ends with: PostgreSQL reads a page along them (SQLite cannot use a partial index when the
  states are query parameters, as Django sends them, and walks inbox_ws_priority_time instead).
- People found by any part of their handle or name: a trigram index (FTS5's trigram tokenizer
  on SQLite, pg_trgm on PostgreSQL). On SQLite it is kept by triggers on inbox_conversation,
  which a table rebuild drops (as 0009 explains for inbox_message): a later migration that
  rebuilds the table must create them again. Where the database refuses the pg_trgm extension
  (no privilege), search still works by scanning, only slower.
- On SQLite, planner statistics (ANALYZE), without which it walks the whole list for a search
  that found a handful of conversations.
"""

from django.db import migrations, models

TODO = models.Q(state__in=["new", "open", "pending"])

SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE inbox_people_fts USING fts5(author_handle, author_name, content='inbox_conversation', content_rowid='id', tokenize='trigram')",
    "INSERT INTO inbox_people_fts(rowid, author_handle, author_name) SELECT id, author_handle, author_name FROM inbox_conversation",
    "CREATE TRIGGER inbox_people_fts_insert AFTER INSERT ON inbox_conversation BEGIN INSERT INTO inbox_people_fts(rowid, author_handle, author_name) VALUES (new.id, new.author_handle, new.author_name); END",
    "CREATE TRIGGER inbox_people_fts_delete AFTER DELETE ON inbox_conversation BEGIN INSERT INTO inbox_people_fts(inbox_people_fts, rowid, author_handle, author_name) VALUES ('delete', old.id, old.author_handle, old.author_name); END",
    "CREATE TRIGGER inbox_people_fts_update AFTER UPDATE OF author_handle, author_name ON inbox_conversation BEGIN INSERT INTO inbox_people_fts(inbox_people_fts, rowid, author_handle, author_name) VALUES ('delete', old.id, old.author_handle, old.author_name); INSERT INTO inbox_people_fts(rowid, author_handle, author_name) VALUES (new.id, new.author_handle, new.author_name); END",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS inbox_people_fts_update",
    "DROP TRIGGER IF EXISTS inbox_people_fts_delete",
    "DROP TRIGGER IF EXISTS inbox_people_fts_insert",
    "DROP TABLE IF EXISTS inbox_people_fts",
]
POSTGRES_FORWARD = [
    "CREATE INDEX IF NOT EXISTS inbox_people_handle_trgm ON inbox_conversation USING GIN (author_handle gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS inbox_people_name_trgm ON inbox_conversation USING GIN (author_name gin_trgm_ops)",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS inbox_people_name_trgm",
    "DROP INDEX IF EXISTS inbox_people_handle_trgm",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement)
        # Planner statistics for the data already there (kalrav.inbox.planner keeps them fresh).
        schema_editor.execute("PRAGMA analysis_limit=10000")
        schema_editor.execute("ANALYZE")
        return
    from django.db import DatabaseError, transaction

    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError:
        return  # no privilege to add the extension: people are found by a scan
    for statement in POSTGRES_FORWARD:
        schema_editor.execute(statement)


def backward(apps, schema_editor):
    statements = (
        SQLITE_BACKWARD if schema_editor.connection.vendor == "sqlite" else POSTGRES_BACKWARD
    )
    for statement in statements:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("inbox", "0009_message_moderation")]

    operations = [
        migrations.AddIndex(
            model_name="conversation",
            index=models.Index(
                fields=["workspace", "-priority", "-last_message_at", "-id"],
                condition=TODO,
                name="inbox_todo_priority_time",
            ),
        ),
        migrations.AddIndex(
            model_name="conversation",
            index=models.Index(
                fields=["workspace", "first_response_due", "-priority", "-last_message_at", "-id"],
                condition=TODO,
                name="inbox_todo_due",
            ),
        ),
        migrations.RunPython(forward, backward),
    ]
