"""Business hours without the text syntax: a week of pickers, in the reader's language, kept in
step with the text form both ways."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from kalrav.inbox.models import InboxSettings

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page, live_server, user):
    page.goto(f"{live_server.url}/accounts/signin/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/w/**")


def test_hours_are_picked_per_day_in_greek(page, live_server, members, workspace):
    owner = members["owner"].user
    owner.language = "el"
    owner.save(update_fields=["language"])
    _sign_in(page, live_server, owner)
    page.goto(f"{live_server.url}/w/{workspace.slug}/inbox/settings/")
    grid = page.locator("fieldset.week-hours")
    expect(grid).to_be_visible()
    expect(grid).to_contain_text("Δευτέρα")
    hours = page.locator("textarea[name=business_hours]")

    # Typed text fills the pickers, two openings on Tuesday kept.
    hours.fill("mon 09:00-18:00\ntue 09:00-13:00, 14:00-18:00")
    expect(page.get_by_role("checkbox", name="Δευτέρα")).to_be_checked()
    expect(page.get_by_role("checkbox", name="Σάββατο")).not_to_be_checked()

    # Picking Saturday 10:00 to 14:00 writes it into the text, the rest untouched.
    page.get_by_role("checkbox", name="Σάββατο").check()
    page.get_by_label("Σάββατο: ", exact=False).first.fill("10:00")
    page.get_by_label("Σάββατο: ", exact=False).nth(1).fill("14:00")
    expect(hours).to_have_value("mon 09:00-18:00\ntue 09:00-13:00, 14:00-18:00\nsat 10:00-14:00")
    # Closing Monday removes its line.
    page.get_by_role("checkbox", name="Δευτέρα").uncheck()
    expect(hours).to_have_value("tue 09:00-13:00, 14:00-18:00\nsat 10:00-14:00")

    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state("networkidle")
    saved = InboxSettings.objects.get(workspace=workspace).business_hours
    assert saved == {
        "tue": [["09:00", "13:00"], ["14:00", "18:00"]],
        "sat": [["10:00", "14:00"]],
    }
