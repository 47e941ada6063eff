from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from kalrav.nlp.services import warm_up_in_background


class Command(BaseCommand):
    help = "Run a Huey queue worker alone (scale out by running more of these, on more machines)."
    # The web process runs Django's system checks; importing every connector again here for
    # them would cost each worker and listener process tens of megabytes.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument("--workers", type=int, default=settings.HUEY_WORKERS)
        parser.add_argument(
            "--no-periodic", action="store_true",
            help="do not schedule periodic tasks; with several workers, let exactly one schedule them",
        )  # fmt: skip

    def handle(self, *args, **options):
        extra = ["--no-periodic"] if options["no_periodic"] else []
        warm_up_in_background(quality=True)  # the worker refines the inbox's sentiment
        call_command(
            "run_huey", "--workers", str(options["workers"]), "--worker-type", "thread", *extra
        )
