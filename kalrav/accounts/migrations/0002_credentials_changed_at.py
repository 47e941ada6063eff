from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='user',
            name='credentials_changed_at',
            field=models.DateTimeField(blank=True, help_text='when the password or two-factor sign-in last changed; older API tokens stop', null=True),
        ),
    ]
