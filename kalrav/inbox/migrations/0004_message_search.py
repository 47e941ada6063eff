"""Full-text search over message text: FTS5 on SQLite, a GIN index on PostgreSQL.

The 'simple' configuration and FTS5's unicode61 tokenizer split words without stemming, so
Bengali, Hindi, Gujarati and Greek are found as written, like English.
"""

from django.db import migrations

SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE inbox_message_fts USING fts5(text, content='inbox_message', content_rowid='id', tokenize='unicode61 remove_diacritics 0')",
    "INSERT INTO inbox_message_fts(rowid, text) SELECT id, text FROM inbox_message",
    "CREATE TRIGGER inbox_message_fts_insert AFTER INSERT ON inbox_message BEGIN INSERT INTO inbox_message_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER inbox_message_fts_delete AFTER DELETE ON inbox_message BEGIN INSERT INTO inbox_message_fts(inbox_message_fts, rowid, text) VALUES ('delete', old.id, old.text); END",
    "CREATE TRIGGER inbox_message_fts_update AFTER UPDATE OF text ON inbox_message BEGIN INSERT INTO inbox_message_fts(inbox_message_fts, rowid, text) VALUES ('delete', old.id, old.text); INSERT INTO inbox_message_fts(rowid, text) VALUES (new.id, new.text); END",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS inbox_message_fts_update",
    "DROP TRIGGER IF EXISTS inbox_message_fts_delete",
    "DROP TRIGGER IF EXISTS inbox_message_fts_insert",
    "DROP TABLE IF EXISTS inbox_message_fts",
]
POSTGRES_FORWARD = ["CREATE INDEX inbox_message_text_search ON inbox_message USING GIN (to_tsvector('simple', text))"]
POSTGRES_BACKWARD = ["DROP INDEX IF EXISTS inbox_message_text_search"]


def forward(apps, schema_editor):
    statements = SQLITE_FORWARD if schema_editor.connection.vendor == "sqlite" else POSTGRES_FORWARD
    for statement in statements:
        schema_editor.execute(statement)


def backward(apps, schema_editor):
    statements = SQLITE_BACKWARD if schema_editor.connection.vendor == "sqlite" else POSTGRES_BACKWARD
    for statement in statements:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("inbox", "0003_routingrule")]

    operations = [migrations.RunPython(forward, backward)]
