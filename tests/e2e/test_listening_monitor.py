"""Writing a monitor: the preview follows the query while it is typed, pointing at a mistake
under the query and counting the matching mentions once the query is whole, in English and in
Bengali, on a wide screen and on a phone."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conftest import PASSWORD
from kalrav.listening.intake import Collected, take

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("KALRAV_SHOTS")  # a folder to keep screenshots in


def _sign_in(page, live_server, user):
    page.goto(f"{live_server.url}/accounts/signin/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/w/**")


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


@pytest.mark.parametrize(
    ("language", "width"), [("en", 1280), ("en", 360), ("bn", 1280), ("bn", 360)]
)
def test_the_preview_follows_the_query(page, live_server, members, workspace, language, width):
    now = timezone.now()
    take(
        workspace,
        None,
        [
            Collected("আজ সকালে চা খুব ভালো ছিল", now - timedelta(hours=3), url="https://a.example/1", author_handle="mita", language="bn"),
            Collected("Masala chai at the station was cold", now - timedelta(days=1), url="https://a.example/2", author_handle="ravi"),
            Collected("Coffee only today", now - timedelta(days=1), url="https://a.example/3", author_handle="sam"),
        ],
    )  # fmt: skip
    owner = members["owner"].user
    owner.language = language
    owner.save(update_fields=["language"])
    page.set_viewport_size({"width": width, "height": 900})
    _sign_in(page, live_server, owner)
    page.goto(f"{live_server.url}/w/{workspace.slug}/listening/monitors/new/")
    preview = page.locator("#query-preview")
    query = page.locator("#id_query")

    query.press_sequentially("চা OR (chai", delay=20)
    error = preview.locator("[data-preview=error]")
    expect(error).to_be_visible()
    expect(error.locator(".query-pointer")).to_contain_text("চা OR (chai")
    expect(error.locator(".caret")).to_contain_text("^")
    _shot(page, f"listening-preview-error-{language}-{width}")

    query.press_sequentially(")", delay=20)
    count = preview.locator("[data-preview=count]")
    expect(count).to_be_visible()
    expect(preview.locator(".mention")).to_have_count(2)
    expect(preview).to_contain_text("আজ সকালে চা")
    expect(preview).not_to_contain_text("Coffee only")
    # Nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    _shot(page, f"listening-preview-{language}-{width}")

    page.locator("#id_name").fill("Chai")
    page.locator("#monitor-form button[type=submit]").click()
    page.wait_for_url(f"**/w/{workspace.slug}/listening/")
    expect(page.locator("table.list")).to_contain_text("Chai")
    _shot(page, f"listening-monitors-{language}-{width}")


@pytest.mark.parametrize(("language", "width"), [("en", 1280), ("bn", 360)])
def test_mentions_filter_and_sources_health(page, live_server, members, workspace, language, width):
    from kalrav.listening.models import Source, SourceKind, SourceState

    now = timezone.now()
    take(
        workspace,
        None,
        [
            Collected("এই চা একদম বাজে, ঠান্ডা আর বাসি", now - timedelta(hours=2), url="https://b.example/1", author_handle="mita", language="bn"),
            Collected("What a lovely cup of masala chai, thank you!", now - timedelta(hours=5), url="https://b.example/2", author_handle="ravi"),
            Collected("मसाला चाय का नया पैक आया", now - timedelta(days=2), url="https://b.example/3", author_handle="anu", language="hi"),
        ],
    )  # fmt: skip
    Source.objects.create(
        workspace=workspace, kind=SourceKind.FEED, url="https://news.example/feed.xml",
        title="Tea News", state=SourceState.FAILING, failures=3,
        last_error="news.example points to a private or reserved address (10.0.0.5).",
        last_fetched_at=now - timedelta(minutes=3), next_fetch_at=now + timedelta(minutes=2),
    )  # fmt: skip
    owner = members["owner"].user
    owner.language = language
    owner.save(update_fields=["language"])
    page.set_viewport_size({"width": width, "height": 900})
    _sign_in(page, live_server, owner)
    page.goto(f"{live_server.url}/w/{workspace.slug}/listening/mentions/")
    rows = page.locator("#mention-rows .mention")
    expect(rows).to_have_count(3)
    _shot(page, f"listening-mentions-{language}-{width}")
    page.locator("#id_sentiment").select_option("positive")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("lovely cup")
    assert "sentiment=positive" in page.url
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    rows.first.locator("a[href*='/mentions/']").click()
    page.wait_for_url("**/listening/mentions/*/")
    expect(page.locator("article.mention-detail")).to_contain_text("lovely cup")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    _shot(page, f"listening-mention-{language}-{width}")

    page.goto(f"{live_server.url}/w/{workspace.slug}/listening/sources/")
    row = page.locator("tr", has_text="Tea News")
    expect(row.locator(".badge.bad")).to_be_visible()
    expect(row).to_contain_text("10.0.0.5")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    _shot(page, f"listening-sources-{language}-{width}")
