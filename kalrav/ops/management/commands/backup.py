from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kalrav.ops import backup


class Command(BaseCommand):
    help = (
        "Copy the database (online), the task queue, the media and the secret key into a new "
        "folder PATH; see docs/backup.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="a folder that does not exist yet, or is empty")

    def handle(self, *args, **options):
        path = options["path"].expanduser().resolve()
        try:
            report = backup.create(path)
        except backup.BackupError as error:
            raise CommandError(str(error)) from None
        for line in report.lines:
            self.stdout.write(f"  {line}")
        for note in report.notes:
            self.stdout.write(self.style.WARNING(f"  note: {note}"))
        self.stdout.write(self.style.SUCCESS(f"Backup written to {path}"))
