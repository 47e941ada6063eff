"""Bluesky's reference network (`@atproto/dev-env`: PLC, PDS, AppView, Ozone) for live twin tests.

`make peers` installs it into tests/peers/atproto/node_modules; the AppView keeps its data in a
PostgreSQL database of its own (created here, dropped afterwards) and uses the local Redis.
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent / "atproto"
ADMIN = ("admin", "admin-pass")


class PeerUnavailable(RuntimeError):
    pass


@dataclass(frozen=True)
class AtprotoNetwork:
    pds_url: str
    appview_url: str
    plc_url: str
    log_path: Path | None = None

    def session_calls(self) -> dict[str, int]:
        """How many createSession (sign-ins) and refreshSession calls the PDS has answered so far
        (net.js logs one line per call)."""
        counts = {"com.atproto.server.createSession": 0, "com.atproto.server.refreshSession": 0}
        if self.log_path is not None:
            for line in self.log_path.read_text().splitlines():
                if line.startswith("SESSION "):
                    name = line.split(" ", 1)[1].strip()
                    counts[name] = counts.get(name, 0) + 1
        return counts

    def create_account(self, name: str, password: str = "kalrav-test-pass") -> dict:
        """A fresh account on the PDS; handles must end in .test. Returns handle, did, password."""
        handle = f"{name}-{uuid.uuid4().hex[:6]}.test"
        response = httpx.post(
            f"{self.pds_url}/xrpc/com.atproto.server.createAccount",
            json={"handle": handle, "email": f"{handle}@example.test", "password": password},
            timeout=30,
        )
        response.raise_for_status()
        return {
            "handle": handle,
            "did": response.json()["did"],
            "password": password,
            "access_jwt": response.json()["accessJwt"],
        }


def _postgres_dsn(database: str) -> str:
    host = os.environ.get("KALRAV_PEER_PG_HOST", "127.0.0.1")
    port = os.environ.get("KALRAV_PEER_PG_PORT", "5432")
    user = os.environ.get("KALRAV_PEER_PG_USER", "postgres")
    return f"postgresql://{user}@{host}:{port}/{database}"


@contextmanager
def running(timeout: float = 120) -> Iterator[AtprotoNetwork]:
    if not (HERE / "node_modules" / "@atproto" / "dev-env").exists():
        raise PeerUnavailable("the Bluesky dev network is not installed: run `make peers`")
    import psycopg

    database = f"kalrav_atp_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(_postgres_dsn("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{database}"')
    except psycopg.OperationalError as error:
        raise PeerUnavailable(f"PostgreSQL for the Bluesky AppView: {error}") from None
    env = {
        **os.environ,
        "DB_POSTGRES_URL": _postgres_dsn(database),
        "REDIS_HOST": os.environ.get("KALRAV_PEER_REDIS_HOST", "127.0.0.1:6379"),
        "LOG_ENABLED": "false",
    }
    log_path = HERE / f"net-{database}.log"  # one log per run: two networks may run at once
    log = log_path.open("w")
    process = subprocess.Popen(
        ["node", "net.js"],
        cwd=HERE,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + timeout
        ready = ""
        while time.monotonic() < deadline:
            text = log_path.read_text()
            ready = next((line for line in text.splitlines() if line.startswith("READY ")), "")
            if ready:
                break
            if process.poll() is not None:
                raise PeerUnavailable("the Bluesky dev network exited:\n" + text[-3000:])
            time.sleep(0.3)
        if not ready:
            raise PeerUnavailable(
                "the Bluesky dev network did not start in time:\n" + log_path.read_text()[-3000:]
            )
        urls = dict(part.split("=", 1) for part in ready.split()[1:])
        yield AtprotoNetwork(
            pds_url=urls["pds"],
            appview_url=urls["appview"],
            plc_url=urls["plc"],
            log_path=log_path,
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        log_path.unlink(missing_ok=True)
        with psycopg.connect(_postgres_dsn("postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
