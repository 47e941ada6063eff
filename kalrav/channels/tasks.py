"""What Huey's consumer finds here: it imports each app's `tasks` module (djhuey autodiscovery).
The channel tasks live beside the functions they run: `check_channel_task` and
`renew_credentials_task` in services.py, `probe_failing_channels` in probing.py,
`warn_of_expiring_credentials` in expiry.py, `refresh_expiring_credentials` in refreshing.py; these imports register them in the worker. Nothing imports this module.
"""

from kalrav.channels import expiry, probing, refreshing, services  # noqa: F401 - register the tasks they define
