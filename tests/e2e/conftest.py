from __future__ import annotations

import os
import shutil
import time

import pytest

from conftest import require_service

os.environ.setdefault(
    "DJANGO_ALLOW_ASYNC_UNSAFE", "true"
)  # Playwright's sync API runs an event loop

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    executable = os.environ.get("KALRAV_CHROMIUM", "/usr/bin/chromium")
    if not shutil.which(executable):
        require_service(f"Chromium at {executable}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# A request still running when a test ends (a poll sent just before its page closed) would meet
# the tables being emptied for the next test. Closing waits for such a request to finish.
SETTLE_SECONDS = 0.5


def close_and_settle(context) -> None:
    context.close()
    time.sleep(SETTLE_SECONDS)


@pytest.fixture
def page(browser, request):
    viewport = getattr(request, "param", {"width": 1366, "height": 900})
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    yield page
    close_and_settle(context)
