"""`kalrav serve`: the web server, a queue worker and the stream listeners as one process group.

The children run in their own session so a terminal's Ctrl+C reaches only this supervisor, which
then stops each child the way that child stops cleanly: the Huey consumer on SIGINT (it finishes
running tasks; queued ones stay in storage), uvicorn and the listeners on SIGTERM. Each child also
asks the kernel to stop it the same way if the supervisor dies, so no process outlives the group.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import logging
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

from kalrav.conf import IPNetwork

log = logging.getLogger("kalrav.serve")

PR_SET_PDEATHSIG = 1


def _die_with_parent(stop_signal: int) -> None:
    """Ask the kernel to send the child its own stop signal when the supervisor dies: for the
    worker SIGINT, Huey's graceful stop (SIGTERM is its immediate one, which leaves the
    publishing dispatcher's claimed batch to wait for its lease to expire)."""
    with contextlib.suppress(OSError):  # not Linux: the supervisor's own shutdown still applies
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, stop_signal)


@dataclass
class Child:
    name: str
    argv: list[str]
    stop_signal: int
    process: subprocess.Popen | None = None


class Supervisor:
    def __init__(self, children: list[Child], grace_seconds: float = 30.0):
        self.children = children
        self.grace_seconds = grace_seconds
        self.stopping = False

    def _on_signal(self, signum, _frame) -> None:
        if not self.stopping:
            log.info("received %s, stopping", signal.Signals(signum).name)
        self.stopping = True

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        for child in self.children:
            # argv is built in children_for() from sys.executable and fixed names, never from input.
            child.process = subprocess.Popen(  # noqa: S603
                child.argv,
                start_new_session=True,
                preexec_fn=functools.partial(_die_with_parent, child.stop_signal),
            )
            log.info("started %s (pid %s)", child.name, child.process.pid)
        code = 0
        while not self.stopping:
            for child in self.children:
                assert child.process is not None
                if child.process.poll() is not None:
                    log.error(
                        "%s exited with %s; stopping the others",
                        child.name,
                        child.process.returncode,
                    )
                    self.stopping = True
                    code = 1
            time.sleep(0.2)
        self.stop_all()
        return code

    def stop_all(self) -> None:
        for child in self.children:
            if child.process and child.process.poll() is None:
                child.process.send_signal(child.stop_signal)
        deadline = time.monotonic() + self.grace_seconds
        for child in self.children:
            if child.process is None:
                continue
            try:
                child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning(
                    "%s did not stop within %ss; killing it", child.name, self.grace_seconds
                )
                child.process.kill()
                child.process.wait()
        log.info("stopped")


def children_for(
    host: str,
    port: int,
    *,
    worker: bool = True,
    listen: bool = True,
    trusted_proxies: Sequence[IPNetwork] = (),
) -> list[Child]:
    python = sys.executable
    # uvicorn believes X-Forwarded-For from 127.0.0.1 unless told otherwise, which lets anything
    # on the machine (or a proxy that passes the header through) pick the client's address.
    proxies = (
        ["--forwarded-allow-ips", ",".join(str(network) for network in trusted_proxies)]
        if trusted_proxies
        else ["--no-proxy-headers"]
    )
    children = [
        Child(
            "web",
            [python, "-m", "uvicorn", "kalrav.asgi:application", "--host", host, "--port", str(port),
             "--lifespan", "off", "--timeout-graceful-shutdown", "10", "--no-server-header",
             *proxies],
            signal.SIGTERM,
        ),
    ]  # fmt: skip
    if worker:
        children.append(Child("worker", [python, "-m", "kalrav", "worker"], signal.SIGINT))
    if listen:
        children.append(Child("listen", [python, "-m", "kalrav", "listen"], signal.SIGTERM))
    return children
