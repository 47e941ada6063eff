"""kalrav export-workspace <slug> <file.zip>"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kalrav.portability.export import export_workspace
from kalrav.workspaces.models import Workspace


class Command(BaseCommand):
    help = (
        "Write everything a workspace owns (data as JSON, media files) to a zip. Channel "
        "credentials and webhook secrets are not exported."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug")
        parser.add_argument("file", type=Path)

    def handle(self, slug: str, file: Path, **options) -> None:
        workspace = Workspace.objects.filter(slug=slug).first()
        if workspace is None:
            raise CommandError(f"no workspace with the address {slug!r}")
        with file.open("wb") as out:
            manifest = export_workspace(workspace, out)
        rows = sum(manifest["counts"].values())  # type: ignore[attr-defined]
        self.stdout.write(
            f"{file}: {rows} rows, {len(manifest['media'])} media files"  # type: ignore[arg-type]
            " (channel credentials and webhook secrets are not included)"
        )
