"""The composer's live check follows every change to a variant's text, not only key presses:
paste by mouse, drag and drop, autofill, IME composition and dictation only fire `input`."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from kalrav.channels.models import Channel, ChannelState
from kalrav.connectors.rules import count_graphemes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# "কা" is one grapheme of two code points: counting code points would say 490, not 327.
BENGALI_327 = "কা " * 163 + "কা"


def _sign_in(page, live_server, user):
    page.goto(f"{live_server.url}/accounts/signin/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()


def _show_variant(page, channel):
    """Tick the channel and wait for the check its card runs on showing, so that no check
    already on its way can pick up the text set below."""
    with page.expect_response(lambda r: f"/posts/check/{channel.pk}/" in r.url):
        page.get_by_role("checkbox", name=channel.name).check()
    page.wait_for_load_state("networkidle")


@pytest.fixture
def sky(workspace):
    return Channel.objects.create(
        workspace=workspace,
        network="bluesky",
        name="Tea on Bluesky",
        handle="tea.bsky.social",
        state=ChannelState.ACTIVE,
    )


@pytest.mark.parametrize("language", ["en", "bn"])
def test_text_set_without_keys_is_counted(page, live_server, members, workspace, sky, language):
    text = BENGALI_327
    assert count_graphemes(text) == 327
    _sign_in(page, live_server, members["editor"].user)
    if language != "en":
        page.goto(f"{live_server.url}/w/{workspace.slug}/posts/new/")
        with page.expect_navigation():
            page.locator("#language-select").select_option(language)
    page.goto(f"{live_server.url}/w/{workspace.slug}/posts/new/")
    _show_variant(page, sky)
    check = page.locator(f"#check-{sky.pk}")
    expect(check).to_contain_text("0 / 300")

    # page.fill sets the value and fires one `input` event: no keydown, no keyup.
    page.locator(f"#variant-{sky.pk}").fill(text)
    expect(check).to_contain_text("327 / 300")
    expect(check.locator("[data-code=too_long]")).to_be_visible()
    if language == "en":
        expect(check.locator("[data-code=too_long]")).to_contain_text("Too long by 27")
    expect(check.locator(".preview-text")).to_contain_text("কা কা")
    shots = f"/tmp/kalrav-composer-input-{language}"
    page.locator(f"[data-variant='{sky.pk}']").screenshot(path=f"{shots}-1366.png")
    page.set_viewport_size({"width": 360, "height": 780})
    page.locator(f"[data-variant='{sky.pk}']").screenshot(path=f"{shots}-360.png")


def test_composition_and_scripted_input_are_counted(page, live_server, members, workspace, sky):
    """What an IME or dictation does: the value changes, then `input` (and `compositionend`)."""
    _sign_in(page, live_server, members["editor"].user)
    page.goto(f"{live_server.url}/w/{workspace.slug}/posts/new/")
    _show_variant(page, sky)
    check = page.locator(f"#check-{sky.pk}")
    expect(check).to_contain_text("0 / 300")
    page.locator(f"#variant-{sky.pk}").evaluate(
        """(area) => {
            area.dispatchEvent(new CompositionEvent("compositionstart", {data: ""}));
            area.value = "নমস্কার";
            area.dispatchEvent(new InputEvent("input", {inputType: "insertCompositionText", isComposing: true}));
            area.dispatchEvent(new CompositionEvent("compositionend", {data: "নমস্কার"}));
        }"""
    )
    expect(check).to_contain_text(f"{count_graphemes('নমস্কার')} / 300")
