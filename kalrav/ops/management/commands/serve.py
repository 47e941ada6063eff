from django.core.management.base import BaseCommand

from kalrav.ops.serve_command import run


class Command(BaseCommand):
    help = "Run Kalrav: the web server, a queue worker and the stream listeners, stopped together."

    def add_arguments(self, parser):
        parser.add_argument("args", nargs="*", help="the options of `kalrav serve --help`")

    def handle(self, *args, **options):
        raise SystemExit(run(list(args)))
