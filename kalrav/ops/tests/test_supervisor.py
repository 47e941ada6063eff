"""When `kalrav serve` itself dies (SIGKILL, OOM), each child must be stopped the way it stops
cleanly: the worker with SIGINT (Huey's graceful stop), never SIGTERM (its immediate one, which
left the publishing dispatcher holding a claimed batch)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

CHILD = textwrap.dedent(
    """
    import signal, sys, time
    from pathlib import Path
    out = Path(sys.argv[1])
    def caught(signum, _frame):
        out.write_text(signal.Signals(signum).name)
        sys.exit(0)
    signal.signal(signal.SIGINT, caught)
    signal.signal(signal.SIGTERM, caught)
    out.write_text("ready")
    while True:
        time.sleep(0.05)
    """
)

SUPERVISOR = textwrap.dedent(
    """
    import signal, sys
    from kalrav.ops.supervisor import Child, Supervisor
    python, child, out_worker, out_web = sys.argv[1:5]
    Supervisor([
        Child("worker", [python, "-c", child, out_worker], signal.SIGINT),
        Child("web", [python, "-c", child, out_web], signal.SIGTERM),
    ]).run()
    """
)


def _wait_for(path: Path, not_text: str = "", timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = path.read_text() if path.exists() else ""
        if text and text != not_text:
            return text
        time.sleep(0.05)
    raise AssertionError(f"{path.name} stayed {not_text or 'empty'}")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_children_get_their_own_stop_signal_when_the_supervisor_is_killed(tmp_path):
    worker, web = tmp_path / "worker", tmp_path / "web"
    supervisor = subprocess.Popen(
        [sys.executable, "-c", SUPERVISOR, sys.executable, CHILD, str(worker), str(web)],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])},
    )
    try:
        _wait_for(worker)
        _wait_for(web)
        supervisor.send_signal(signal.SIGKILL)
        supervisor.wait(timeout=10)
        assert _wait_for(worker, not_text="ready") == "SIGINT"
        assert _wait_for(web, not_text="ready") == "SIGTERM"
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
