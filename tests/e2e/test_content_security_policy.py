"""The main pages work in a real browser under Kalrav's Content-Security-Policy (issue 15,
finding 6): no script, style or image the policy refuses, and htmx still swaps."""

from __future__ import annotations

import io

import pytest
from django.apps import apps
from django.core.management import call_command
from playwright.sync_api import expect

from kalrav.workspaces.models import Member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEMO_EMAIL = "demo@kalrav.local"
DEMO_PASSWORD = "kalrav-demo"  # printed by `kalrav demo`, as README.md says

WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`);
});
"""


def _violations(page) -> list[str]:
    return page.evaluate("window.__cspViolations || []")


def test_main_pages_run_under_the_policy(page, live_server):
    call_command("demo", stdout=io.StringIO())
    # The demo workspace with conversations in its inbox and posts on its calendar.
    with_inbox = apps.get_model("inbox", "Conversation").objects.values("workspace")
    slug = (
        Member.objects.filter(user__email=DEMO_EMAIL, workspace__in=with_inbox)
        .select_related("workspace")
        .first()
        .workspace.slug
    )
    console: list[str] = []
    page.on(
        "console",
        lambda message: (
            console.append(f"{message.type}: {message.text}")
            if message.type in ("error", "warning")
            else None
        ),
    )
    page.add_init_script(WATCH_VIOLATIONS)
    seen: list[str] = []

    def visit(path: str) -> None:
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.ok, path
        policy = response.headers.get("content-security-policy", "")
        assert "'unsafe-inline'" not in policy.split("script-src", 1)[1].split(";", 1)[0]
        page.wait_for_load_state("load")
        page.wait_for_timeout(300)  # polls and deferred scripts
        seen.extend(f"{path}: {v}" for v in _violations(page))

    page.goto(f"{live_server.url}/accounts/signin/")
    page.get_by_label("Email").fill(DEMO_EMAIL)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()

    visit(f"/w/{slug}/inbox/")
    # htmx still works: the search box asks for rows as one types (a swap, no page load).
    with page.expect_response(lambda r: "/inbox/" in r.url and "q=" in r.url):
        page.locator("input[type=search]").first.press_sequentially("tea")
    page.wait_for_timeout(300)
    seen.extend(f"inbox search: {v}" for v in _violations(page))
    page.locator("input[type=search]").first.fill("")
    page.goto(f"{live_server.url}/w/{slug}/inbox/")
    page.locator("a[data-row]").first.click()
    expect(page.locator("#reply-form textarea")).to_be_visible()
    page.wait_for_timeout(500)
    seen.extend(f"conversation: {v}" for v in _violations(page))

    visit(f"/w/{slug}/calendar/")
    # The composer checks each network's text through htmx, from the moment it loads.
    with page.expect_response(lambda r: "/posts/check/" in r.url):
        visit(f"/w/{slug}/posts/new/")
    for path in (
        f"/w/{slug}/settings/",
        f"/w/{slug}/settings/brand/",
        f"/w/{slug}/settings/brand/edit/",
        f"/w/{slug}/settings/members/",
        f"/w/{slug}/settings/tokens/",
        f"/w/{slug}/settings/audit/",
        f"/w/{slug}/inbox/settings/",
        f"/w/{slug}/calendar/settings/",
        "/accounts/settings/",
        "/accounts/two-factor/",
        "/api/v1/docs",
    ):
        visit(path)

    refused = [line for line in console if "Content Security Policy" in line or "htmx" in line]
    assert seen == [] and refused == [], "\n".join(seen + refused)
