"""SentimentCorrection joins the inbox from the nlp app, keeping its rows: the model enters the
inbox's state on the nlp table, the table is renamed to the inbox's name, and the records that
name the model (audit entries, its content type) follow it."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

OLD, NEW = "nlp.sentimentcorrection", "inbox.sentimentcorrection"


def rename_records(apps, schema_editor, old=OLD, new=NEW):
    """Audit entries name their object's model; the audit log reads a field's label from it."""
    AuditEntry = apps.get_model("workspaces", "AuditEntry")
    AuditEntry.objects.filter(object_type=old).update(object_type=new)
    ContentType = apps.get_model("contenttypes", "ContentType")
    old_app, old_model = old.split(".")
    new_app, new_model = new.split(".")
    if not ContentType.objects.filter(app_label=new_app, model=new_model).exists():
        ContentType.objects.filter(app_label=old_app, model=old_model).update(
            app_label=new_app, model=new_model
        )


def restore_records(apps, schema_editor):
    rename_records(apps, schema_editor, old=NEW, new=OLD)


SENTIMENT_CHOICES = [("negative", "negative"), ("neutral", "neutral"), ("positive", "positive")]


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("inbox", "0010_scale_indexes"),
        ("nlp", "0002_sentimentcorrection_to_inbox"),
        ("workspaces", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="SentimentCorrection",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("text", models.TextField(verbose_name="text")),
                        (
                            "language",
                            models.CharField(blank=True, max_length=16, verbose_name="language"),
                        ),
                        (
                            "label",
                            models.CharField(
                                choices=SENTIMENT_CHOICES, max_length=8, verbose_name="sentiment"
                            ),
                        ),
                        (
                            "previous_label",
                            models.CharField(
                                blank=True,
                                choices=SENTIMENT_CHOICES,
                                max_length=8,
                                verbose_name="previous sentiment",
                            ),
                        ),
                        ("source", models.CharField(max_length=120, verbose_name="source")),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        (
                            "corrected_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "workspace",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="sentiment_corrections",
                                to="workspaces.workspace",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "nlp_sentimentcorrection",
                        "ordering": ["-created_at", "-pk"],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("workspace", "source"),
                                name="sentiment_correction_per_source",
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name="sentimentcorrection", table=None),
        migrations.RunPython(rename_records, restore_records),
    ]
