"""`kalrav serve` without loading Django in the supervisor itself: it only starts and stops the
children, so it stays small (the children each load the app)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from django.conf import settings

from kalrav import data_dir
from kalrav.ops.supervisor import Supervisor, children_for


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="kalrav serve",
        description="Run Kalrav: the web server, a queue worker and the stream listeners, stopped together.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--no-worker", action="store_true", help="run no queue worker here (workers run elsewhere)"
    )
    parser.add_argument("--no-listen", action="store_true", help="run no stream listeners here")
    parser.add_argument(
        "--grace", type=float, default=30.0, help="seconds to let children stop before killing them"
    )
    options = parser.parse_args(argv)

    # The first setting read loads the settings module (not the apps), which checks every
    # variable before any child starts; `kalrav` reports a bad one.
    logging.basicConfig(
        level=settings.LOG_LEVEL, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    problem = unwritable_folder()
    if problem:
        sys.stderr.write(f"kalrav: cannot start: {problem}\n")
        return 2
    if data_dir.loose_permissions(settings.DATA_DIR):
        # Made before Kalrav kept it private (or by hand): say so rather than change it.
        logging.getLogger("kalrav.serve").warning(
            "the data folder %s is open to other users; `chmod -R go= %s` makes it private",
            settings.DATA_DIR,
            settings.DATA_DIR,
        )
    children = children_for(
        options.host,
        options.port,
        worker=not options.no_worker,
        listen=not options.no_listen,
        trusted_proxies=settings.TRUSTED_PROXIES,
    )
    print(
        f"Kalrav on http://{options.host}:{options.port}/ (data in {settings.DATA_DIR})", flush=True
    )
    return Supervisor(children, grace_seconds=options.grace).run()


def unwritable_folder() -> str | None:
    """Why the data folder (or the SQLite database's folder) cannot be written, in one line:
    better than the children dying one by one with 'unable to open database file'."""
    folders = [settings.DATA_DIR]
    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        folders.append(Path(database["NAME"]).parent)
    for folder in dict.fromkeys(folders):
        problem = data_dir.writable_problem(folder)
        if problem:
            return str(data_dir.DataFolderUnusable(folder, problem))
    return None
