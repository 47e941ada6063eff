"""mastodon-mock (PyPI `mastodon-mock`, a FastAPI + SQLite imitation of the Mastodon API) on a
free loopback port, for the Mastodon connector's contract tests. It is a mock, not Mastodon:
what passes here is our reading of the API agreeing with the mock's.

It reads `.mastodon_mock.toml` from its working directory, so each run gets a temporary
directory with a config that lowers the SSE heartbeat (closing a stream otherwise blocks until
the next one, 15 s by default).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

SEEDED_TOKEN = "mock_token"  # the account "testuser", seeded by the mock itself
CONFIG = """\
[streaming]
heartbeat_seconds = 1.0
"""


class PeerUnavailable(RuntimeError):
    pass


@dataclass(frozen=True)
class MastodonMock:
    url: str
    token: str = SEEDED_TOKEN

    def _post(self, path: str, json: object | None = None) -> httpx.Response:
        response = httpx.post(f"{self.url}{path}", json=json, timeout=10)
        response.raise_for_status()
        return response

    def reset(self) -> None:
        """Drop every table, seed again and clear the faults."""
        self._post("/api/v1/_mock/reset")

    def create_account(self, username: str) -> dict:
        """A fresh local account with its own token: {"id", "username", "access_token", ...}."""
        return self._post("/api/v1/_mock/dev_user", {"username": username}).json()

    def add_fault(self, rule: dict) -> dict:
        """See the mock's fault-injection spec: {"match": {...}, "effect": {...}, "count": n}."""
        return self._post("/api/v1/_mock/faults", rule).json()

    def clear_faults(self) -> None:
        httpx.delete(f"{self.url}/api/v1/_mock/faults", timeout=10).raise_for_status()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _executable() -> list[str]:
    # The console script lives beside the interpreter running the tests (the project's .venv).
    script = Path(sys.executable).with_name("mastodon_mock")
    if script.exists():
        return [str(script)]
    found = shutil.which("mastodon_mock")
    if found:
        return [found]
    raise PeerUnavailable("mastodon-mock is not installed: pip install mastodon-mock==0.6.1")


@contextmanager
def running(timeout: float = 30) -> Iterator[MastodonMock]:
    command = _executable()
    with tempfile.TemporaryDirectory(prefix="kalrav-mastodon-mock-") as workdir:
        Path(workdir, ".mastodon_mock.toml").write_text(CONFIG)
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        log_path = Path(workdir, "server.log")
        with log_path.open("w") as log:
            process = subprocess.Popen(
                [
                    *command,
                    "serve",
                    "--in-memory",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--log-level",
                    "warning",
                ],
                cwd=workdir,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                _wait_ready(url, process, log_path, timeout)
                yield MastodonMock(url=url)
            finally:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def _wait_ready(url: str, process: subprocess.Popen, log_path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise PeerUnavailable("mastodon-mock exited:\n" + log_path.read_text()[-3000:])
        try:
            if httpx.get(f"{url}/api/v1/instance", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise PeerUnavailable("mastodon-mock did not answer in time:\n" + log_path.read_text()[-3000:])
