from django.core.management.base import BaseCommand, CommandError
from huey.exceptions import HueyException, TaskException

from kalrav.ops.tasks import heartbeat


class Command(BaseCommand):
    help = "Put a task on the queue and wait for a worker to run it: proves the queue is consumed."

    def add_arguments(self, parser):
        parser.add_argument("--timeout", type=float, default=15.0)

    def handle(self, *args, **options):
        result = heartbeat()
        try:
            ran_at = result.get(blocking=True, timeout=options["timeout"])
        except TaskException as error:
            raise CommandError(f"a worker ran the task and it failed: {error}") from None
        except HueyException:
            raise CommandError(
                f"no worker ran the task within {options['timeout']} s: is `kalrav worker` running?"
            ) from None
        self.stdout.write(f"worker ran the task at {ran_at}")
