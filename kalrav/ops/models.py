from django.db import models


class WriteCheck(models.Model):
    """One row /healthz rewrites, so a database that answers reads but refuses writes (full
    disk, read-only file or server) shows as failing."""

    checked_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"write check at {self.checked_at:%Y-%m-%d %H:%M:%S}"
