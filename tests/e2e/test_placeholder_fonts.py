"""Form controls and their placeholders use the page's font stack, so Bengali, Hindi and
Gujarati placeholders (the composer's poll options) show letters, not missing-glyph boxes.

A browser draws an `<input>` in its own face unless the page says otherwise; the machines
that run Kalrav often have no system Indic font, so only the bundled Noto faces can draw them.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from kalrav.demo.networks import demo_channels

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = "/tmp/kalrav-placeholder-fonts"
# The face each language's letters need, from kalrav/static/vendor/fonts.css.
FACES = {"hi": "Noto Sans Devanagari", "bn": "Noto Sans Bengali", "gu": "Hind Vadodara"}


def _sign_in(page, live_server, user):
    page.goto(f"{live_server.url}/accounts/signin/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()


@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize("language", ["hi", "bn", "gu"])
def test_poll_option_placeholders_use_the_indic_face(
    page, live_server, members, workspace, language, width
):
    channels = {channel.network: channel for channel in demo_channels(workspace)}
    if "x" not in channels:
        pytest.skip("this Kalrav has no X connector (the demo network with polls)")
    x = channels["x"]
    page.set_viewport_size({"width": width, "height": 900})
    _sign_in(page, live_server, members["editor"].user)
    compose = f"{live_server.url}/w/{workspace.slug}/posts/new/"
    page.goto(compose)
    with page.expect_navigation():
        page.locator("#language-select").select_option(language)
    page.goto(compose)
    page.locator("#id_text").fill("नई मसाला चाय")
    with page.expect_response(lambda r: f"/posts/check/{x.pk}/" in r.url):
        page.locator(f'input[data-channel-toggle="{x.pk}"]').check()
    page.wait_for_load_state("networkidle")
    option = page.locator(f"#poll-{x.pk}-1")
    expect(option).to_be_visible()
    families = option.evaluate(
        """el => [getComputedStyle(el).fontFamily,
                  getComputedStyle(el, '::placeholder').fontFamily]"""
    )
    for family in families:
        assert FACES[language] in family, family
    duration = page.locator(f"#poll-{x.pk}-duration")
    assert FACES[language] in duration.evaluate("el => getComputedStyle(el).fontFamily")
    # The named face exists for the placeholder's letters (its file loads; nothing falls back).
    placeholder = option.get_attribute("placeholder")
    loaded = page.evaluate(
        'async ([face, text]) => (await document.fonts.load(`16px "${face}"`, text)).length',
        [FACES[language], placeholder],
    )
    assert loaded >= 1
    fieldset = option.locator("xpath=ancestor::fieldset[1]")
    fieldset.scroll_into_view_if_needed()
    fieldset.screenshot(path=f"{SHOTS}-{language}-{width}.png")
