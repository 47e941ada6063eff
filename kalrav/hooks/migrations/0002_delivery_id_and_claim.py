import uuid

from django.db import migrations, models


def give_each_delivery_its_own_id(apps, schema_editor):
    # AddField computes a callable default once: every existing row got the same id.
    Delivery = apps.get_model("hooks", "Delivery")
    for delivery in Delivery.objects.only("pk").iterator():
        Delivery.objects.filter(pk=delivery.pk).update(delivery_id=uuid.uuid4())


class Migration(migrations.Migration):
    dependencies = [
        ("hooks", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="delivery",
            name="claimed_until",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="delivery",
            name="delivery_id",
            field=models.UUIDField(default=uuid.uuid4),
        ),
        migrations.RunPython(give_each_delivery_its_own_id, migrations.RunPython.noop),
    ]
