"""Page response times and idle memory of `kalrav serve` on the demo data.

Starts `kalrav serve` on a fresh data directory (SQLite by default; DATABASE_URL and REDIS_URL are
honoured), loads the demo, signs in, requests each page repeatedly and reads the resident memory of
every process in the group once idle. The last line is one JSON object with the figures.
"""

from __future__ import annotations

import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

PAGES = [
    "/w/shanti-tea/calendar/",
    "/w/shanti-tea/calendar/?view=quarter",
    "/w/shanti-tea/calendar/queues/",
    "/w/shanti-tea/inbox/",
    "/w/shanti-tea/inbox/?view=problems",
    "/w/shanti-tea/inbox/report/",
    "/w/shanti-tea/inbox/routing/",
    "/w/shanti-tea/settings/webhooks/",
    "/w/shanti-tea/settings/brand/",
    "/w/shanti-tea/settings/members/",
    "/w/shanti-tea/settings/audit/",
    "/api/v1/workspaces/shanti-tea/brand",
    "/healthz",
]
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "50"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(entry.name))
            except (OSError, IndexError):
                pass
    return out


def main() -> None:
    data = tempfile.mkdtemp(prefix="kalrav-bench-")
    env = {**os.environ, "KALRAV_DATA_DIR": data}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    kalrav = [sys.executable, "-m", "kalrav"]
    subprocess.run([*kalrav, "migrate", "-v0"], env=env, check=True)
    subprocess.run([*kalrav, "demo"], env=env, check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen(
        [*kalrav, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        client = httpx.Client(base_url=base, follow_redirects=False, timeout=10)
        page = client.get("/accounts/signin/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        signed = client.post(
            "/accounts/signin/",
            data={
                "email": "demo@kalrav.local",
                "password": "kalrav-demo",
                "csrfmiddlewaretoken": token,
            },
        )
        assert signed.status_code == 302, signed.status_code
        timings: dict[str, dict[str, float]] = {}
        for path in PAGES:
            client.get(path)  # warm caches and imports
            samples = []
            for _ in range(ROUNDS):
                started = time.perf_counter()
                response = client.get(path)
                samples.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, (path, response.status_code)
            samples.sort()
            timings[path] = {
                "p50_ms": round(statistics.median(samples), 1),
                "p95_ms": round(samples[int(len(samples) * 0.95) - 1], 1),
            }
            print(
                f"{path:45} p50 {timings[path]['p50_ms']:7.1f} ms   p95 {timings[path]['p95_ms']:7.1f} ms"
            )
        time.sleep(3)
        memory = {"supervisor": rss_kib(server.pid) // 1024}
        for pid in children(server.pid):
            cmd = Path(f"/proc/{pid}/cmdline").read_text().split("\0")
            name = "web" if "uvicorn" in cmd else cmd[3] if len(cmd) > 3 else str(pid)
            memory[name] = rss_kib(pid) // 1024
        print("idle memory (MiB):", memory)
        worst = max(t["p95_ms"] for t in timings.values())
        print(
            json.dumps(
                {
                    "benchmark": "web_pages",
                    "rounds": ROUNDS,
                    "database": env.get("DATABASE_URL", "sqlite"),
                    "pages": timings,
                    "worst_p95_ms": worst,
                    "idle_rss_mib": memory,
                    "idle_rss_total_mib": sum(memory.values()),
                }
            )
        )
    finally:
        server.terminate()
        server.wait(timeout=40)


if __name__ == "__main__":
    main()
