from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from kalrav.ops import backup


class Command(BaseCommand):
    help = (
        "Restore a folder made by `kalrav backup` into this installation's data folder and "
        "database (stop Kalrav first); see docs/backup.md."
    )
    # The database may not exist or be empty yet: nothing to check before restoring it.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="the backup folder")
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace the database and media this installation already holds",
        )

    def handle(self, *args, **options):
        path = options["path"].expanduser().resolve()
        try:
            report = backup.restore(path, force=options["force"])
        except backup.BackupError as error:
            raise CommandError(str(error)) from None
        for line in report.lines:
            self.stdout.write(f"  {line}")
        for note in report.notes:
            self.stdout.write(self.style.WARNING(f"  note: {note}"))
        self.stdout.write(self.style.SUCCESS(f"Restored {path} into {settings.DATA_DIR}"))
