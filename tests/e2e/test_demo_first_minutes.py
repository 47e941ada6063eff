"""The first minutes with the demo, in each of the five languages at 1366 px and 360 px: sign in,
land on the workspace with data, publish to the sandbox network from the composer, see a
simulated reply arrive in the inbox, answer it, and see the answer sent (issue 16's proof)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone, translation
from playwright.sync_api import expect

from kalrav.accounts.models import User
from kalrav.channels.models import Channel
from kalrav.demo import seed
from kalrav.demo.workspaces import DEMO_EMAIL, DEMO_PASSWORD
from kalrav.inbox.intake.polling import poll_channel
from kalrav.inbox.models import Delivery, Direction, Message
from kalrav.publishing.models import Variant, VariantState
from kalrav.sandbox.models import SandboxPost

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = ["en", "bn", "hi", "gu", "el"]
WIDTHS = {"wide": {"width": 1366, "height": 900}, "phone": {"width": 360, "height": 780}}


def _no_sideways_scroll(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} is {width} px wide"


def test_the_demos_first_minutes_in_five_languages(
    browser, live_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        seed.load()
    sandbox = Channel.objects.get(workspace__slug="shanti-tea", network="sandbox")
    demo = User.objects.get(email=DEMO_EMAIL)
    for language in LANGUAGES:
        demo.language = language
        demo.save(update_fields=["language"])
        for shape, viewport in WIDTHS.items():
            context = browser.new_context(viewport=viewport, locale=language)
            page = context.new_page()
            try:
                _first_minutes(page, live_server.url, sandbox, f"{language}-{shape}", language)
            finally:
                context.close()


def _first_minutes(page, base, sandbox, run, language):
    page.goto(f"{base}/accounts/signin/")
    page.locator("input[name=email]").fill(DEMO_EMAIL)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("form button[type=submit]").click()
    # Lands where the demo has data, in the person's language.
    page.wait_for_url(f"{base}/w/shanti-tea/**")
    assert page.locator("html").get_attribute("lang") == language
    _no_sideways_scroll(page)

    # Publish to the sandbox network from the composer.
    text = f"Fresh Darjeeling first flush is in #ShantiTea ({run})"
    page.goto(f"{base}/w/shanti-tea/posts/new/")
    page.locator("textarea[name=text]").fill(text)
    page.locator(f"input[name=channels][value='{sandbox.pk}']").check()
    page.locator("input[name=when][value=now]").check()
    _no_sideways_scroll(page)
    page.locator("[data-when-submit]").click()
    page.wait_for_load_state("networkidle")
    variant = Variant.objects.get(channel=sandbox, text=text)
    for _ in range(50):
        variant.refresh_from_db()
        if variant.state == VariantState.PUBLISHED:
            break
        page.wait_for_timeout(200)
    assert variant.state == VariantState.PUBLISHED, (run, variant.state, variant.last_error)
    assert SandboxPost.objects.filter(remote_id=variant.remote_id, text=text).exists()

    # The simulated audience answers a minute after the post; the poll brings it to the inbox.
    SandboxPost.objects.filter(remote_id=variant.remote_id).update(
        created_at=timezone.now() - timedelta(minutes=2)
    )
    poll_channel(sandbox.pk)
    reply = Message.objects.filter(
        channel=sandbox, parent_remote_id=variant.remote_id, direction=Direction.IN
    ).first()
    assert reply is not None, run
    page.goto(f"{base}/w/shanti-tea/inbox/")
    row = page.locator(f"a[href$='/inbox/{reply.conversation_id}/']").first
    expect(row).to_be_visible()
    _no_sideways_scroll(page)
    row.click()
    page.wait_for_url(f"**/inbox/{reply.conversation_id}/")
    expect(page.get_by_text(reply.text[:40]).first).to_be_visible()

    # Answer it and see the answer sent.
    answer = f"Thank you! ({run})"
    page.locator("#reply-form textarea[name=text]").fill(answer)
    page.locator("#reply-form button[type=submit]").click()
    sent = None
    for _ in range(50):
        sent = Message.objects.filter(
            conversation_id=reply.conversation_id, direction=Direction.OUT, text=answer
        ).first()
        if sent is not None and sent.delivery == Delivery.SENT:
            break
        page.wait_for_timeout(200)
    assert sent is not None and sent.delivery == Delivery.SENT, (run, sent and sent.error)
    # The page shows it without a reload (the reply form's answer refreshes the conversation).
    page.wait_for_load_state("networkidle")
    with translation.override(language):
        label = str(Delivery.SENT.label)
    bubble = page.locator(".bubble", has_text=answer)
    expect(bubble.locator(".badge.ok")).to_have_text(label)
    _no_sideways_scroll(page)
