"""The `kalrav` command: Django's management commands plus serve, worker, listen and demo."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kalrav.settings")
    argv = list(sys.argv if argv is None else argv)
    argv[0] = "kalrav"
    from kalrav.conf import ImproperlyConfiguredVariable

    try:
        if argv[1:2] == ["serve"]:
            from kalrav.ops.serve_command import run

            raise SystemExit(run(argv[2:]))
        import django

        django.setup()
    except ImproperlyConfiguredVariable as error:
        sys.stderr.write(
            f"kalrav: configuration error: {error}\nSee docs/configuration.md for every variable.\n"
        )
        raise SystemExit(2) from None
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)
