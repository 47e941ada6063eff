"""Tokens made before expiry became the rule get the default lifetime from today: they keep
working for 90 days and can be renewed from the tokens page."""

from datetime import timedelta

from django.db import migrations
from django.utils import timezone

DEFAULT_DAYS = 90


def give_every_token_an_expiry(apps, schema_editor):
    ApiToken = apps.get_model("api", "ApiToken")
    ApiToken.objects.filter(expires_at=None).update(
        expires_at=timezone.now() + timedelta(days=DEFAULT_DAYS)
    )


class Migration(migrations.Migration):

    dependencies = [
        ('api', '0001_initial'),
    ]

    operations = [
        migrations.RunPython(give_every_token_an_expiry, migrations.RunPython.noop),
    ]
