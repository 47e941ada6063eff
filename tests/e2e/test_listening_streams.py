"""The sources page with a public stream: the offer to listen through a connected Bluesky
channel, then the stream's health (live, last item, resume position, reconnects), in English
and Hindi, on a wide screen and on a phone."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conftest import PASSWORD
from kalrav.channels import credentials as sealed
from kalrav.channels.models import Channel, ChannelState
from kalrav.listening.models import Source, SourceKind

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("KALRAV_SHOTS")  # a folder to keep screenshots in


@pytest.mark.parametrize(
    ("language", "width", "listen", "live"),
    [
        ("en", 1280, "Listen to Bluesky's public stream", "Live"),
        ("hi", 360, "Bluesky की सार्वजनिक स्ट्रीम सुनें", "लाइव"),
    ],
)
def test_listening_to_a_public_stream(
    page, live_server, members, workspace, language, width, listen, live
):
    channel = Channel.objects.create(
        workspace=workspace, network="bluesky", name="Brand", state=ChannelState.ACTIVE,
        config={"service_url": "https://pds.example", "handle": "brand.example"},
        credentials=sealed.seal({"app_password": "x"}),
    )  # fmt: skip
    owner = members["owner"].user
    owner.language = language
    owner.save(update_fields=["language"])
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/accounts/signin/")
    page.locator("input[type=email]").fill(owner.email)
    page.locator("input[type=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url("**/w/**")
    page.goto(f"{live_server.url}/w/{workspace.slug}/listening/sources/")
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/listening-offer-{language}-{width}.png", full_page=True)
    page.get_by_role("button", name=listen).click()
    page.wait_for_url("**/listening/sources/")
    source = Source.objects.get(kind=SourceKind.BLUESKY, channel=channel)
    moment = (timezone.now() - timedelta(minutes=2)).isoformat()
    source.cursor = {"position": "firehose:9", "kept_at": moment, "last_item_at": moment}
    source.cursor["reconnects"] = 1
    source.save()
    page.reload()
    row = page.locator(f"tr[data-source='{source.pk}']")
    expect(row).to_contain_text(live)
    expect(page.get_by_role("button", name=listen)).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/listening-streams-{language}-{width}.png", full_page=True)
