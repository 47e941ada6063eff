"""The queue page in a real browser: a free slot in the channel's best hour is offered first and
marked, in English and Hindi, on a desktop and a phone, without the page growing wider."""

from __future__ import annotations

import itertools
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conftest import PASSWORD
from kalrav.inbox.models import Conversation, Direction, Message
from kalrav.publishing import workspace_settings
from kalrav.publishing.queues import services as queues
from kalrav.publishing.tests.helpers import channel
from kalrav.workspaces.audit import Actor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/kalrav-queues")
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 360, "height": 780}}
WIDER_THAN_VIEW = """
() => {
  const width = document.documentElement.clientWidth;
  return [...document.querySelectorAll("body *")]
    .filter((e) => e.getBoundingClientRect().right > width + 0.5 && e.getClientRects().length)
    .slice(0, 8)
    .map((e) => `${e.tagName.toLowerCase()}.${[...e.classList].join(".")}`);
}
"""
_ids = itertools.count()


def _queue_with_a_best_hour(workspace, owner) -> None:
    zone = workspace_settings.zone_of(workspace)
    ch = channel(workspace, name="Shanti on Bluesky")
    # Engagement a week ago at the hour of a slot two days from now: that hour is the best one.
    target = (timezone.now() + timedelta(days=2)).astimezone(zone).replace(minute=0, second=0)
    other = (target.hour + 5) % 24
    queues.replace_slots(owner, Actor(user=owner.user), ch.pk, queues.parse_slots(
        f"daily {target.hour:02d}:00, {other:02d}:00"))  # fmt: skip
    conversation = Conversation.objects.create(
        workspace=workspace, channel=ch, root_remote_id=f"root-{next(_ids)}", kind="comment"
    )
    Message.objects.bulk_create(
        Message(conversation=conversation, channel=ch, remote_id=f"m-{next(_ids)}",
                kind="comment", direction=Direction.IN, text="ভালো চা!",
                created_at=target - timedelta(days=7) + timedelta(minutes=k))
        for k in range(31)
    )  # fmt: skip


@pytest.mark.parametrize("language", ["en", "hi"])
@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_queue_page_offers_and_marks_best_hour_slots(browser, live_server, members, workspace,
                                                     language, size):  # fmt: skip
    owner = members["owner"]
    _queue_with_a_best_hour(workspace, owner)
    context = browser.new_context(viewport=SIZES[size])
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/signin/")
    page.get_by_label("Email").fill(owner.user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state("load")
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    page.context.request.post(
        f"{live_server.url}/i18n/language/",
        form={"language": language, "next": "/"},
        headers={"X-CSRFToken": cookies.get("csrftoken", "")},
    )
    page.goto(f"{live_server.url}/w/{workspace.slug}/calendar/queues/")
    expect(page.locator("[data-best-slot]")).to_be_visible()
    assert page.locator("span.badge.ok").count() >= 2  # "Best time" and the suggestion
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"queues-{language}-{size}.png"), full_page=True)
    wide = page.evaluate(WIDER_THAN_VIEW)
    assert not wide, wide
    context.close()
