"""kalrav import-workspace <file.zip> [--slug new]"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kalrav.portability.importer import ImportRefused, import_workspace


class Command(BaseCommand):
    help = (
        "Read a workspace export into this installation, all or nothing. People come back as "
        "members by e-mail; new users get an unusable password (they use 'forgot password'). "
        "Channels must be reconnected; webhook endpoints get a new secret and stay disabled."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--slug", help="a new address for the workspace")

    def handle(self, file: Path, slug: str | None, **options) -> None:
        if not file.is_file():
            raise CommandError(f"{file}: no such file")
        try:
            with file.open("rb") as source:
                workspace = import_workspace(source, slug)
        except ImportRefused as refused:
            raise CommandError(f"{file}: {refused} Nothing was imported.") from None
        self.stdout.write(f"imported workspace {workspace.slug} (id {workspace.pk})")
