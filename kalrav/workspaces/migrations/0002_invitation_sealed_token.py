from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('workspaces', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='invitation',
            name='sealed_token',
            field=models.TextField(blank=True),
        ),
    ]
