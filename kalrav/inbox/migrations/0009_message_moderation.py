from django.db import migrations, models

# Adding a NOT NULL column makes Django rebuild the table on SQLite, which drops the full-text
# triggers on inbox_message (0004) and copies every message. ALTER TABLE … ADD COLUMN with a
# constant default does neither, on SQLite and PostgreSQL alike; the nullable dates need no help.
TEXT_COLUMNS = (
    ("like_remote_id", "varchar(255)", models.CharField(blank=True, max_length=255)),
    ("moderation_pending", "varchar(8)", models.CharField(blank=True, max_length=8)),
    ("moderation_error", "text", models.TextField(blank=True)),
)


def _added_text_column(name: str, sql_type: str, field: models.Field):
    return migrations.SeparateDatabaseAndState(
        database_operations=[
            migrations.RunSQL(
                f"ALTER TABLE inbox_message ADD COLUMN {name} {sql_type} NOT NULL DEFAULT ''",
                f"ALTER TABLE inbox_message DROP COLUMN {name}",
            )
        ],
        state_operations=[migrations.AddField(model_name="message", name=name, field=field)],
    )


class Migration(migrations.Migration):
    dependencies = [
        ("inbox", "0008_sla_handoff"),
    ]

    operations = [
        migrations.AddField(
            model_name="message",
            name="liked_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="message",
            name="hidden_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="message",
            name="deleted_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        *(_added_text_column(*column) for column in TEXT_COLUMNS),
    ]
