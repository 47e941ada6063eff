"""SentimentCorrection moved to the inbox app (inbox 0011 takes it over with its table and
rows): here it only leaves this app's state; the table is not touched."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("nlp", "0001_initial")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="SentimentCorrection")],
            database_operations=[],
        ),
    ]
