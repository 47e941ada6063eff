from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("inbox", "0013_inbox_cursor_stream_position"),
    ]

    operations = [
        # As in 0012: ADD COLUMN with a constant default, so SQLite does not rebuild the table
        # (which would drop 0010's people-search triggers on inbox_conversation).
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    "ALTER TABLE inbox_conversation ADD COLUMN answer_on_source boolean "
                    "NOT NULL DEFAULT false",
                    "ALTER TABLE inbox_conversation DROP COLUMN answer_on_source",
                )
            ],
            state_operations=[
                migrations.AddField(
                    model_name="conversation",
                    name="answer_on_source",
                    field=models.BooleanField(default=False),
                )
            ],
        ),
    ]
