"""`kalrav serve` as a user runs it: a subprocess on a free port, with the real queue."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def _fresh_database(tmp_path: Path):
    """A database of its own: a file for SQLite, a new database for PostgreSQL."""
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        yield f"sqlite:///{tmp_path / 'serve.sqlite3'}"
        return
    import psycopg

    name = f"kalrav_serve_{uuid.uuid4().hex[:10]}"
    dsn = f"host={db['HOST']} port={db['PORT'] or 5432} user={db['USER']} dbname=postgres"
    if db.get("PASSWORD"):
        dsn += f" password={db['PASSWORD']}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    try:
        yield f"postgres://{auth}@{db['HOST']}:{db['PORT'] or 5432}/{name}"
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError, IndexError):
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def _wait_healthy(port: int, process: subprocess.Popen, timeout: float = 60) -> dict:
    import json

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "kalrav serve exited early"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                return json.loads(response.read())
        except OSError:
            time.sleep(0.3)
    raise AssertionError("kalrav serve did not answer /healthz in time")


@pytest.fixture
def served(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["KALRAV_DATA_DIR"] = str(tmp_path)
    env["KALRAV_QUEUE_NAME"] = f"kalrav-serve-{uuid.uuid4().hex[:8]}"
    port = _free_port()
    with _fresh_database(tmp_path) as url:
        env["DATABASE_URL"] = url
        subprocess.run(
            [sys.executable, "-m", "kalrav", "migrate", "-v0"], env=env, check=True, timeout=180
        )
        log = open(tmp_path / "serve.log", "w")  # noqa: SIM115
        process = subprocess.Popen(
            [sys.executable, "-m", "kalrav", "serve", "--port", str(port), "--grace", "15"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield process, port, env
        finally:
            if process.poll() is None:
                process.kill()
            for pid in _children(process.pid):
                os.kill(pid, signal.SIGKILL)
            process.wait()
            log.close()


def test_serve_answers_runs_tasks_and_stops_cleanly(served, tmp_path):
    process, port, env = served
    health = _wait_healthy(port, process)
    assert health["database"]["ok"] and health["queue"]["ok"]
    children = _children(process.pid)
    assert len(children) == 3, "web, worker and listener run as children"

    ping = subprocess.run(
        [sys.executable, "-m", "kalrav", "ping_worker", "--timeout", "30"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ping.returncode == 0, ping.stderr
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
        assert b'"worker_last_seen": "' in response.read()

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=40) == 0
    time.sleep(0.2)
    assert [pid for pid in children if _alive(pid)] == [], (tmp_path / "serve.log").read_text()[
        -2000:
    ]


def test_children_do_not_outlive_a_killed_supervisor(served):
    process, port, _env = served
    _wait_healthy(port, process)
    children = _children(process.pid)
    process.kill()
    process.wait()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(_alive(pid) for pid in children):
        time.sleep(0.2)
    assert [pid for pid in children if _alive(pid)] == []


def test_rotating_forwarded_for_does_not_escape_sign_in_throttling(served):
    """uvicorn believes X-Forwarded-For from loopback by default; `kalrav serve` must not let it,
    or anyone on the machine (or behind a pass-through proxy) picks a new address per guess."""
    import http.cookiejar
    import re
    import urllib.error
    import urllib.parse

    process, port, _env = served
    _wait_healthy(port, process)
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    url = f"http://127.0.0.1:{port}/accounts/signin/"
    with opener.open(url, timeout=10) as page:
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.read().decode())[1]

    def attempt(n: int) -> int:
        body = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token, "email": f"guess{n}@example.test", "password": "x"}
        ).encode()
        request = urllib.request.Request(
            url, data=body, headers={"X-Forwarded-For": f"198.51.100.{n}"}
        )
        try:
            with opener.open(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    statuses = [attempt(n) for n in range(25)]
    assert statuses[:20] == [400] * 20
    assert statuses[20:] == [429] * 5
