"""`kalrav serve` without loading Django in the supervisor itself: it only starts and stops the
children, so it stays small (the children each load the app)."""

from __future__ import annotations

import argparse
import logging


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

    # Reading the settings module checks every variable before any child starts.
    from kalrav import settings
    from kalrav.ops.supervisor import Supervisor, children_for

    logging.basicConfig(
        level=settings.LOG_LEVEL, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    children = children_for(
        options.host, options.port, worker=not options.no_worker, listen=not options.no_listen
    )
    print(
        f"Kalrav on http://{options.host}:{options.port}/ (data in {settings.DATA_DIR})", flush=True
    )
    return Supervisor(children, grace_seconds=options.grace).run()
