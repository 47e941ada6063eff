"""What Huey's consumer finds here: it imports each app's `tasks` module (djhuey autodiscovery),
so this one holds the periodic schedule and imports the modules that define publishing's queued
tasks and worker hooks, which live beside the functions they run:

- delivery.publisher: `publish_variant_task` (one variant, where no dispatcher runs);
- delivery.dispatcher: the worker's startup and shutdown hooks that run its dispatcher thread;
- delivery.notifications: `send_emails_task` (failure emails, after the failure is committed);
- editing.remote: `delete_from_network`, `edit_on_network` (what people ask after publishing).

Nothing imports this module to reach them.
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

# Imported for the tasks and hooks they register with Huey when imported.
from kalrav.publishing.delivery import dispatcher, notifications, publisher, sweep  # noqa: F401
from kalrav.publishing.editing import remote  # noqa: F401


@db_periodic_task(crontab(minute="*"))
def sweep_due_variants() -> int:
    """The backstop: what is overdue or lost with a worker (see delivery/sweep.py)."""
    return sweep.sweep()
