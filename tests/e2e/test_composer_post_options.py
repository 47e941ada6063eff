"""Choosing a network's post option in the composer (Instagram's format, declared by its
connector) switches the live check at once: a reel takes one video, and the check says so."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from kalrav.demo.networks import demo_channels

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = "/tmp/kalrav-post-options"


def _sign_in(page, live_server, user):
    page.goto(f"{live_server.url}/accounts/signin/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()


@pytest.mark.parametrize("width", [1280, 360])
@pytest.mark.parametrize("language", ["en", "gu"])
def test_choosing_reel_shows_the_video_rule(page, live_server, members, workspace, language, width):
    channels = {channel.network: channel for channel in demo_channels(workspace)}
    if "instagram" not in channels:
        pytest.skip("this Kalrav has no Instagram connector")
    insta = channels["instagram"]
    page.set_viewport_size({"width": width, "height": 900})
    _sign_in(page, live_server, members["editor"].user)
    compose = f"{live_server.url}/w/{workspace.slug}/posts/new/"
    if language != "en":
        page.goto(compose)
        with page.expect_navigation():
            page.locator("#language-select").select_option(language)
    page.goto(compose)
    page.locator("#id_text").fill("New masala chai, tonight at six.")
    with page.expect_response(lambda r: f"/posts/check/{insta.pk}/" in r.url):
        page.locator(f'input[data-channel-toggle="{insta.pk}"]').check()
    page.wait_for_load_state("networkidle")
    card = page.locator(f'[data-variant="{insta.pk}"]')
    check = page.locator(f"#check-{insta.pk}")
    takes = check.locator("[data-media-takes] li")
    # The feed: photos and videos, up to ten, and no format named in the preview.
    expect(takes).to_have_count(3)
    expect(check.locator('[data-preview="options"]')).to_have_count(0)
    reel = card.locator(f'input[name="extra-{insta.pk}-opt-instagram_format"][value="reel"]')
    expect(reel).to_be_visible()
    with page.expect_response(lambda r: f"/posts/check/{insta.pk}/" in r.url):
        reel.check()
    page.wait_for_load_state("networkidle")
    # A reel: one video, 3 s to 15 min, and the preview says it is a reel.
    expect(takes).to_have_count(2)
    expect(
        check.locator('[data-preview="options"] [data-option="instagram_format"]')
    ).to_be_visible()
    if language == "en":
        expect(takes.first).to_contain_text("Videos: at most 1 · MOV, MP4 · 3 s to 15 min")
        expect(check.locator('[data-option="instagram_format"]')).to_contain_text("Reel")
    else:
        expect(takes.first).not_to_contain_text("Videos")
    # Nothing spills sideways on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    card.scroll_into_view_if_needed()
    card.screenshot(path=f"{SHOTS}-{language}-{width}.png")


@pytest.mark.parametrize("language", ["en", "hi"])
def test_facebook_reel_box_and_x_reply_choice(page, live_server, members, workspace, language):
    channels = {channel.network: channel for channel in demo_channels(workspace)}
    if not {"facebook", "x"} <= set(channels):
        pytest.skip("this Kalrav has no Facebook or X connector")
    page.set_viewport_size({"width": 360, "height": 800})
    _sign_in(page, live_server, members["editor"].user)
    compose = f"{live_server.url}/w/{workspace.slug}/posts/new/"
    if language != "en":
        page.goto(compose)
        with page.expect_navigation():
            page.locator("#language-select").select_option(language)
    page.goto(compose)
    page.locator("#id_text").fill("New masala chai, tonight at six.")
    for network in ("facebook", "x"):
        chan = channels[network]
        with page.expect_response(lambda r, pk=chan.pk: f"/posts/check/{pk}/" in r.url):
            page.locator(f'input[data-channel-toggle="{chan.pk}"]').check()
    page.wait_for_load_state("networkidle")
    facebook = channels["facebook"]
    takes = page.locator(f"#check-{facebook.pk} [data-media-takes] li")
    expect(takes).to_have_count(3)  # photos, GIFs, a video
    with page.expect_response(lambda r: f"/posts/check/{facebook.pk}/" in r.url):
        page.locator(f'input[name="extra-{facebook.pk}-opt-reel"]').check()
    page.wait_for_load_state("networkidle")
    expect(takes).to_have_count(2)  # one video of 3 to 90 s, and it is needed
    if language == "en":
        expect(takes.first).to_contain_text("Videos: at most 1 · MOV, MP4 · 3 s to 90 s")
    x = channels["x"]
    # Five choices: a menu.
    who = page.locator(f'select[name="extra-{x.pk}-opt-reply_settings"]')
    with page.expect_response(lambda r: f"/posts/check/{x.pk}/" in r.url):
        who.select_option("following")
    page.wait_for_load_state("networkidle")
    expect(page.locator(f'#check-{x.pk} [data-option="reply_settings"]')).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    for network in ("facebook", "x"):
        card = page.locator(f'[data-variant="{channels[network].pk}"]')
        card.scroll_into_view_if_needed()
        card.screenshot(path=f"{SHOTS}-{language}-360-{network}.png")
