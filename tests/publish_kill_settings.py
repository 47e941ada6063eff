"""Settings for worker processes started by tests/test_publish_kill.py and bench/publish_burst.py:
the test settings with a real (non-immediate) queue, a short publishing lease so a killed worker's
variants are taken over within seconds, quick queue polling, and the loopback test network
registered. Production settings never register it."""

from kalrav.connectors import registry
from kalrav.test_settings import *  # noqa: F403
from kalrav.test_settings import HUEY

HUEY = {
    **HUEY,
    "immediate": False,
    # Poll at least every 0.2 s: Huey's default backs off to 10 s when the queue is idle,
    # which would make the first task after a quiet spell up to 10 s late.
    "consumer": {**dict(HUEY["consumer"]), "max_delay": 0.2, "initial_delay": 0.05},  # type: ignore[call-overload]
}
PUBLISH_LEASE_SECONDS = 3

registry.reset(
    {**registry.CONNECTORS, "loopnet": "tests.peers.fake_network_server.LoopbackConnector"}
)
