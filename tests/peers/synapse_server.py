"""A throwaway Synapse homeserver for the Matrix connector's live twin tests.

Synapse lives in a virtualenv of its own (tests/peers/.synapse-venv; `make peers` creates it),
because its many pinned dependencies must not move Kalrav's. Each run gets a temporary directory
with a generated config, an SQLite database and a free loopback port; users are registered with
the shared secret (the admin API `register_new_matrix_user` uses), so no open registration and no
e-mail are needed. Ready in about two seconds.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

VENV = Path(
    os.environ.get("KALRAV_SYNAPSE_VENV", Path(__file__).resolve().parent / ".synapse-venv")
)
PYTHON = VENV / "bin" / "python"
SERVER_NAME = "kalrav.test"

# Later config files override earlier ones key by key: these replace the generated listener
# (client API only, on loopback), keep Synapse from looking for matrix.org's keys or previews
# (no test may reach the internet), and lift rate limits that tests would trip over.
OVERRIDES = """\
listeners:
  - port: {port}
    bind_addresses: ['127.0.0.1']
    type: http
    tls: false
    x_forwarded: false
    resources:
      - names: [client]
        compress: false
trusted_key_servers: []
suppress_key_server_warning: true
enable_metrics: false
url_preview_enabled: false
enable_registration: false
presence:
  enabled: false
rc_message: {{per_second: 1000, burst_count: 1000}}
rc_registration: {{per_second: 1000, burst_count: 1000}}
rc_login:
  address: {{per_second: 1000, burst_count: 1000}}
  account: {{per_second: 1000, burst_count: 1000}}
  failed_attempts: {{per_second: 1000, burst_count: 1000}}
rc_joins:
  local: {{per_second: 1000, burst_count: 1000}}
  remote: {{per_second: 1000, burst_count: 1000}}
rc_media_create: {{per_second: 1000, burst_count: 1000}}
"""


class PeerUnavailable(RuntimeError):
    pass


@dataclass(frozen=True)
class MatrixUser:
    user_id: str
    password: str
    access_token: str
    device_id: str


@dataclass(frozen=True)
class Synapse:
    url: str
    server_name: str
    shared_secret: str

    def register(self, name: str, password: str = "kalrav-test-pass") -> MatrixUser:
        """A new user through the shared-secret admin API; the token it returns is a fresh device."""
        localpart = f"{name}-{uuid.uuid4().hex[:6]}"
        endpoint = f"{self.url}/_synapse/admin/v1/register"
        nonce = httpx.get(endpoint, timeout=10).json()["nonce"]
        mac = hmac.new(self.shared_secret.encode(), digestmod=hashlib.sha1)
        mac.update(b"\x00".join(part.encode() for part in (nonce, localpart, password, "notadmin")))
        response = httpx.post(
            endpoint,
            json={
                "nonce": nonce,
                "username": localpart,
                "password": password,
                "admin": False,
                "mac": mac.hexdigest(),
            },
            timeout=10,
        )
        response.raise_for_status()
        body = response.json()
        return MatrixUser(body["user_id"], password, body["access_token"], body["device_id"])

    def client_api(self, user: MatrixUser, method: str, path: str, **kwargs) -> dict:
        """One C-S API call as `user`, for setting the scene (rooms, joins) outside the connector."""
        response = httpx.request(
            method,
            f"{self.url}/_matrix/client/v3{path}",
            headers={"Authorization": f"Bearer {user.access_token}"},
            timeout=10,
            **kwargs,
        )
        response.raise_for_status()
        return response.json()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _shared_secret(config: Path) -> str:
    # The generated config is YAML, but this one line is all we need: no YAML parser in the harness.
    for line in config.read_text().splitlines():
        if line.startswith("registration_shared_secret:"):
            return line.split(":", 1)[1].strip().strip('"')
    raise PeerUnavailable("the generated Synapse config has no registration_shared_secret")


@contextmanager
def running(timeout: float = 60) -> Iterator[Synapse]:
    if not PYTHON.exists():
        raise PeerUnavailable(f"Synapse is not installed in {VENV}: run `make peers`")
    with tempfile.TemporaryDirectory(prefix="kalrav-synapse-") as directory:
        home = Path(directory)
        config, overrides = home / "homeserver.yaml", home / "overrides.yaml"
        generated = subprocess.run(
            [
                str(PYTHON),
                "-m",
                "synapse.app.homeserver",
                "--server-name",
                SERVER_NAME,
                "--config-path",
                str(config),
                "--data-directory",
                str(home),
                "--generate-config",
                "--report-stats=no",
            ],
            cwd=home,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if generated.returncode != 0:
            raise PeerUnavailable(
                "Synapse could not write its config:\n" + generated.stderr[-3000:]
            )
        port = _free_port()
        overrides.write_text(OVERRIDES.format(port=port))
        log_path = home / "synapse.out"
        with log_path.open("w") as log:
            process = subprocess.Popen(
                [
                    str(PYTHON),
                    "-m",
                    "synapse.app.homeserver",
                    "-c",
                    str(config),
                    "-c",
                    str(overrides),
                ],
                cwd=home,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                url = f"http://127.0.0.1:{port}"
                _wait_until_ready(url, process, log_path, timeout)
                yield Synapse(
                    url=url, server_name=SERVER_NAME, shared_secret=_shared_secret(config)
                )
            finally:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def _wait_until_ready(url: str, process: subprocess.Popen, log_path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise PeerUnavailable("Synapse exited:\n" + log_path.read_text()[-3000:])
        try:
            if httpx.get(f"{url}/_matrix/client/versions", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise PeerUnavailable("Synapse did not start in time:\n" + log_path.read_text()[-3000:])
