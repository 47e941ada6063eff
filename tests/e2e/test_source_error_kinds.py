"""A failing source says why in the reader's language (its error kind), with the network's raw
words as smaller secondary text; and the newest mention reads "just now", not "0 minutes ago"."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conftest import PASSWORD
from kalrav.listening.intake import Collected, take
from kalrav.listening.models import Source, SourceErrorKind, SourceKind, SourceState

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = "/tmp/kalrav-source-errors"
SAID = {
    "en": ("The address took too long to answer.", "just now"),
    "hi": ("इस पते ने जवाब देने में बहुत देर लगाई।", "अभी-अभी"),
}


@pytest.mark.parametrize("width", [1280, 360])
@pytest.mark.parametrize("language", ["en", "hi"])
def test_a_failing_source_says_why_in_the_reader_language(
    page, live_server, members, workspace, language, width
):
    now = timezone.now()
    take(workspace, None, [Collected("masala chai, fresh", now, url="https://b.example/1")])
    Source.objects.create(
        workspace=workspace, kind=SourceKind.FEED, url="https://news.example/feed.xml",
        title="Tea News", state=SourceState.FAILING, failures=2,
        error_kind=SourceErrorKind.TIMEOUT, last_error="GET news.example timed out: ReadTimeout",
        last_fetched_at=now - timedelta(minutes=3), next_fetch_at=now + timedelta(minutes=2),
    )  # fmt: skip
    owner = members["owner"].user
    owner.language = language
    owner.save(update_fields=["language"])
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/accounts/signin/")
    page.get_by_label("Email").fill(owner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/w/**")
    sentence, just_now = SAID[language]

    page.goto(f"{live_server.url}/w/{workspace.slug}/listening/sources/")
    row = page.locator("tr", has_text="Tea News")
    expect(row.locator(".source-error")).to_contain_text(sentence)
    expect(row.locator(".source-error .muted")).to_contain_text("ReadTimeout")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=f"{SHOTS}-sources-{language}-{width}.png", full_page=True)

    page.goto(f"{live_server.url}/w/{workspace.slug}/listening/mentions/")
    expect(page.locator("#mention-rows .mention time").first).to_have_text(just_now)
    page.screenshot(path=f"{SHOTS}-mentions-{language}-{width}.png")
