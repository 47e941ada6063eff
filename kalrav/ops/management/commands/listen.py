import asyncio
import logging
import signal

from django.core.management.base import BaseCommand

from kalrav.nlp.services import warm_up_in_background
from kalrav.ops import streams

log = logging.getLogger("kalrav.listen")


class Command(BaseCommand):
    help = "Hold the long-lived network streams (one process per shard at scale)."
    # The web process runs Django's system checks; importing every connector again here for
    # them would cost each worker and listener process tens of megabytes.
    requires_system_checks: list[str] = []

    def handle(self, *args, **options):
        # Streams store what they hear with the fast sentiment; the worker adds the quality one.
        warm_up_in_background(quality=False)
        asyncio.run(self._run())

    async def _run(self) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        names = sorted(streams.LISTENERS)
        if not names:
            log.info("no stream listeners registered; waiting for a stop signal")
        tasks: list[asyncio.Future] = [
            asyncio.ensure_future(streams.load(name)(stop)) for name in names
        ]
        await stop.wait()
        if tasks:
            await asyncio.wait(tasks, timeout=10)
