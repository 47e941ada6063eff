import logging

from django.conf import settings
from django.core.management.base import BaseCommand

from kalrav.ops.supervisor import Supervisor, children_for


class Command(BaseCommand):
    help = "Run Kalrav: the web server, a queue worker and the stream listeners, stopped together."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="run no queue worker here (workers run elsewhere)",
        )
        parser.add_argument("--no-listen", action="store_true", help="run no stream listeners here")
        parser.add_argument(
            "--grace",
            type=float,
            default=30.0,
            help="seconds to let children stop before killing them",
        )

    def handle(self, *args, **options):
        logging.basicConfig(
            level=settings.LOG_LEVEL, format="%(asctime)s %(levelname)s %(name)s %(message)s"
        )
        children = children_for(
            options["host"],
            options["port"],
            worker=not options["no_worker"],
            listen=not options["no_listen"],
        )
        self.stdout.write(
            f"Kalrav on http://{options['host']}:{options['port']}/ (data in {settings.DATA_DIR})"
        )
        raise SystemExit(Supervisor(children, grace_seconds=options["grace"]).run())
