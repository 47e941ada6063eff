"""Settings for worker processes started by tests/test_publish_kill.py and bench/publish_burst.py:
the test settings with a real (non-immediate) queue, so each worker runs its publishing
dispatcher; a short publishing lease so a killed worker's variants are taken over within
seconds; quick queue polling; and the loopback test network registered. Production settings
never register it."""

import os

from kalrav.connectors import registry
from kalrav.test_settings import *  # noqa: F403
from kalrav.test_settings import HUEY

HUEY = {
    **HUEY,
    "immediate": False,
    # Poll at least every 0.2 s: Huey's default backs off to 10 s when the queue is idle.
    "consumer": {**dict(HUEY["consumer"]), "max_delay": 0.2, "initial_delay": 0.05},  # type: ignore[call-overload]
}
# Short, so a killed worker's variants are taken over within seconds (the burst benchmark sets
# the production lease instead).
PUBLISH_LEASE_SECONDS = float(os.environ.get("KALRAV_PUBLISH_LEASE_SECONDS", "3"))
# Publishing threads per worker process (the burst benchmark varies it).
PUBLISH_CONCURRENCY = int(os.environ.get("KALRAV_PUBLISH_CONCURRENCY", "16"))

registry.reset(
    {**registry.CONNECTORS, "loopnet": "tests.peers.fake_network_server.LoopbackConnector"}
)
