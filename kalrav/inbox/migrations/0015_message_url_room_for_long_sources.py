"""Message.url from 500 to 2000 characters, so a listening mention's long source address
(Mention.url holds 1000) reaches the inbox whole and "Open the source" opens the right page.

SQLite does not enforce a varchar's length, and altering the field there would make Django
rebuild inbox_message, which drops the full-text triggers (0004, see 0009) and copies every
message: only the model state changes there. PostgreSQL widens the column in place.
"""

from django.db import migrations, models


def widen(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        schema_editor.execute("ALTER TABLE inbox_message ALTER COLUMN url TYPE varchar(2000)")


def narrow(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        schema_editor.execute(
            "ALTER TABLE inbox_message ALTER COLUMN url TYPE varchar(500) USING left(url, 500)"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("inbox", "0014_conversation_answer_on_source"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(widen, narrow)],
            state_operations=[
                migrations.AlterField(
                    model_name="message",
                    name="url",
                    field=models.URLField(blank=True, max_length=2000),
                )
            ],
        )
    ]
