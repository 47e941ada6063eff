"""The `kalrav` command: Django's management commands plus serve, worker, listen and demo."""

from __future__ import annotations

import os
import sys

from kalrav import data_dir
from kalrav.conf import ImproperlyConfiguredVariable
from kalrav.ops import serve_command


def main(argv: list[str] | None = None) -> None:
    # Before anything is written: files 0600 and folders 0700 (kalrav.data_dir says why).
    data_dir.restrict_umask()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kalrav.settings")
    argv = list(sys.argv if argv is None else argv)
    argv[0] = "kalrav"
    if len(argv) > 1 and not argv[1].startswith("-"):
        # `kalrav export-workspace` runs Django's export_workspace command.
        argv[1] = argv[1].replace("-", "_")

    try:
        if argv[1:2] == ["serve"]:
            raise SystemExit(serve_command.run(argv[2:]))
        import django

        django.setup()
    except ImproperlyConfiguredVariable as error:
        sys.stderr.write(
            f"kalrav: configuration error: {error}\nSee docs/configuration.md for every variable.\n"
        )
        raise SystemExit(2) from None
    except data_dir.DataFolderUnusable as error:
        sys.stderr.write(f"kalrav: {error}\n")
        raise SystemExit(2) from None
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)
