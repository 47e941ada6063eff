from django.apps import AppConfig
from django.db.models.signals import post_migrate

from kalrav.ops.signals import create_cache_table


class OpsConfig(AppConfig):
    name = "kalrav.ops"
    label = "ops"
    verbose_name = "Operations"

    def ready(self) -> None:
        post_migrate.connect(create_cache_table, sender=self)
