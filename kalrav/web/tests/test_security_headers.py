"""Content-Security-Policy on every response, HSTS when Kalrav is served over https (issue 15,
finding 6). tests/e2e/test_content_security_policy.py drives the pages under it in Chromium."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def _directives(response) -> dict[str, str]:
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part for part in (p.strip() for p in policy.split(";")) if part}


def test_every_page_has_a_policy_with_a_fresh_nonce_and_no_inline_scripts(client, members):
    client.force_login(members["owner"].user)
    first = client.get("/accounts/settings/")
    second = client.get("/accounts/settings/")
    scripts = _directives(first)["script-src"]
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts
    nonce = re.search(r"'nonce-([\w-]+)'", scripts).group(1)
    assert nonce not in second["Content-Security-Policy"], "a nonce is used once"
    assert f'nonce="{nonce}"' in first.content.decode()
    assert _directives(first)["object-src"] == "object-src 'none'"
    assert _directives(first)["frame-ancestors"] == "frame-ancestors 'none'"
    assert "Content-Security-Policy" in client.get("/healthz")


def test_templates_hold_no_inline_script_or_event_handler():
    """Whatever the policy allows, the markup itself keeps scripts in static files."""
    offenders = []
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        for match in re.finditer(r"<script(?![^>]*\bsrc=)[^>]*>", text):
            offenders.append(f"{template.relative_to(TEMPLATES)}: {match.group(0)}")
        for match in re.finditer(r"\s(on[a-z]+|hx-on[:\w-]*)\s*=", text):
            offenders.append(f"{template.relative_to(TEMPLATES)}: {match.group(0).strip()}")
        if "javascript:" in text or "js:" in text:
            offenders.append(f"{template.relative_to(TEMPLATES)}: javascript: or js:")
    assert offenders == []


def _hsts_seconds(base_url: str, tmp_path) -> str:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(KALRAV_DATA_DIR=str(tmp_path), KALRAV_BASE_URL=base_url)
    result = subprocess.run(
        [sys.executable, "-c", "from kalrav import settings; print(settings.SECURE_HSTS_SECONDS)"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.parametrize(
    ("base_url", "seconds"),
    [("https://social.example.com", "31536000"), ("http://127.0.0.1:8000", "0")],
)
def test_hsts_follows_the_base_url(base_url, seconds, tmp_path):
    assert _hsts_seconds(base_url, tmp_path) == seconds


def test_hsts_header_on_https_requests(client, db, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    response = client.get("/accounts/signin/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000"
    assert "Strict-Transport-Security" not in client.get("/accounts/signin/")
