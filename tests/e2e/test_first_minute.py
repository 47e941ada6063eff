"""What a new user does in the first minute, in a real browser: sign in, switch to Bengali,
edit the brand profile, and find the change in the audit log."""

from __future__ import annotations

import re

import pytest
from django.utils import translation
from playwright.sync_api import expect

from conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _bn(text: str) -> str:
    with translation.override("bn"):
        translated = translation.gettext(text)
    assert translated != text, f"{text!r} has no Bengali translation"
    return translated


def test_sign_in_switch_to_bengali_edit_brand_see_audit(page, live_server, members, workspace):
    owner = members["owner"].user
    page.goto(f"{live_server.url}/accounts/signin/")
    page.get_by_label("Email").fill(owner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()

    # Choosing a language submits the form through app.js (deferred): let it load first, then
    # wait for the page the choice loads, however busy the machine.
    page.wait_for_load_state("load")
    with page.expect_navigation(wait_until="commit", timeout=30_000):
        page.select_option("#language-select", "bn")
    main_nav = page.locator("nav.nav")
    expect(main_nav.get_by_text(_bn("Calendar"))).to_be_visible()
    expect(main_nav.get_by_text(_bn("Inbox"))).to_be_visible()
    expect(main_nav.get_by_text("Calendar", exact=True)).to_have_count(0)
    assert page.locator("html").get_attribute("lang") == "bn"

    page.goto(f"{live_server.url}/w/{workspace.slug}/settings/brand/edit/")
    page.locator("#id_mission").fill("প্রতিটি পাড়ায় সৎ, টাটকা চা")
    page.locator("#id_banned_words").fill("সবচেয়ে সস্তা")
    page.locator("#id_required_hashtags").fill("#ShantiTea")
    page.get_by_role("button", name=_bn("Save brand profile")).click()
    expect(page.get_by_text("প্রতিটি পাড়ায় সৎ, টাটকা চা")).to_be_visible()
    expect(page.locator(".badge", has_text="#ShantiTea")).to_be_visible()

    page.goto(f"{live_server.url}/w/{workspace.slug}/settings/audit/")
    row = page.locator("tbody tr").first
    expect(row).to_contain_text(_bn("changed the brand profile"))
    expect(row).to_contain_text("প্রতিটি পাড়ায় সৎ, টাটকা চা")
    expect(row).to_contain_text(owner.email)


@pytest.mark.parametrize("page", [{"width": 390, "height": 844}], indirect=True)
def test_phone_navigation_opens_from_the_menu(page, live_server, members, workspace):
    page.goto(f"{live_server.url}/accounts/signin/")
    page.get_by_label("Email").fill(members["agent"].user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    sidebar_inbox = page.locator("nav.nav a", has_text="Inbox")
    expect(sidebar_inbox).not_to_be_in_viewport()
    page.locator(".topbar label").click()
    expect(sidebar_inbox).to_be_in_viewport()
    # An agent sees the inbox but not analytics: the navigation follows the role.
    expect(page.locator("nav.nav a", has_text="Analytics")).to_have_count(0)
    sidebar_inbox.click()
    expect(page).to_have_url(re.compile(r"/inbox/$"))
