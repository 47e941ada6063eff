"""What Huey's consumer finds here: it imports each app's `tasks` module (djhuey autodiscovery).
The channel tasks (`check_channel_task`, `renew_credentials_task`) live in services.py beside the
functions they run; this import registers them in the worker. Nothing imports this module.
"""

from kalrav.channels import services  # noqa: F401 - registers the tasks it defines
