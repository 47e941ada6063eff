"""An Instagram account's whole way in a real browser, against the stand-in Instagram
(tests/peers/instagram_standin.py): a manager continues with Facebook on the Login dialog, picks
the Instagram account to connect, describes a photo in the media library and publishes it from
the composer. The stand-in fetches the photo from Kalrav's signed public address (through an
https front, as Meta fetches from the internet), answers IN_PROGRESS before FINISHED, and
publishes it once. A fan's comment arrives by a webhook (object "instagram") signed with the app
secret, and the reply from the inbox reaches the comment once. Screenshots in English and Hindi,
at 1366 and 360 px."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect

from kalrav.channels.models import Channel, ChannelState
from kalrav.inbox.models import Delivery, Message
from kalrav.publishing.models import MediaAsset, Variant, VariantState
from tests.e2e.steps import sign_in
from tests.peers.instagram_standin import OWN_ID, HttpsFront, InstagramStandIn, certificate
from tests.peers.meta_standin import serving, settings_for

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
pytest.importorskip("facebook_business", reason="the fake checks fields against Meta's SDK")

SHOTS = Path(os.environ.get("KALRAV_SHOTS") or "/tmp/kalrav-e2e-instagram")
TEXT = "Masala chai, fresh every morning at six ☕"
ALT = "A glass of masala chai on a wooden counter, steam rising"
COMMENT = "Is the masala chai made with oat milk?"
REPLY = "It can be: ask for oat milk at the counter."


@pytest.fixture
def instagram(settings, live_server, tmp_path) -> Iterator[tuple[InstagramStandIn, HttpsFront]]:
    cert, key, trust = certificate(tmp_path)
    settings.MEDIA_ROOT = tmp_path / "media"
    with (
        serving(HttpsFront(live_server.url), ssl_certfile=str(cert), ssl_keyfile=str(key)) as front,
        serving(InstagramStandIn(trust=trust)) as standin,
    ):
        for name, value in settings_for(standin).items():
            setattr(settings, name, value)
        settings.BASE_URL = live_server.url  # where Facebook sends the person back
        settings.PUBLIC_URL = front.url  # where Instagram fetches the media from
        yield standin, front


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1080, 1350), (176, 96, 40)).save(out, "JPEG", quality=80)
    return out.getvalue()


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_connect_publish_a_fetched_photo_receive_a_signed_comment_and_reply(
    page, browser, live_server, members, workspace, instagram
):
    standin, front = instagram
    manager = members["manager"].user
    sign_in(page, live_server, manager)

    # Connect: Facebook's Login dialog, then the choice of Instagram accounts.
    page.goto(f"{live_server.url}/w/{workspace.slug}/settings/channels/connect/instagram/")
    page.get_by_role("button", name="Continue with Facebook").click()
    expect(page.get_by_role("button", name="Continue")).to_be_visible()
    assert page.url.startswith(f"{standin.url}/")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Choose Instagram accounts")).to_be_visible()
    _shot(page, "instagram-pick-en")
    page.get_by_role("button", name="Connect the ticked accounts").click()
    expect(page.get_by_text("1 channel connected.")).to_be_visible()
    channel = Channel.objects.get(workspace=workspace, network="instagram")
    assert (channel.state, channel.remote_id) == (ChannelState.ACTIVE, OWN_ID)

    # The photo, described in the media library.
    image = _jpeg()
    page.goto(f"{live_server.url}/w/{workspace.slug}/media/")
    page.get_by_label("Image or video").set_input_files(
        {"name": "masala-chai.jpg", "mimeType": "image/jpeg", "buffer": image}
    )
    page.locator("form.upload-form").get_by_label("Alternative text").fill(ALT)
    page.locator("form.upload-form button[type=submit]").click()
    expect(page.locator(".media-card img")).to_have_attribute("alt", ALT)
    asset = MediaAsset.objects.get()

    # Publish now from the composer: Instagram fetches the photo, then publishes it once.
    page.goto(f"{live_server.url}/w/{workspace.slug}/posts/new/")
    page.get_by_label("Title").fill("Masala chai")
    page.get_by_role("checkbox", name=channel.name).check()
    page.get_by_label("Master copy").fill(TEXT)
    page.locator(f"input[name=media_ids][value='{asset.pk}']").check()
    page.get_by_label("Publish now").check()
    page.locator("form button[type=submit]", has_text="Publish now").click()
    expect(page.locator(".status-card .badge", has_text="Published")).to_be_visible(timeout=30_000)
    media = standin.instagram.media
    assert [m["caption"] for m in media] == [TEXT]
    variant = Variant.objects.get(channel=channel)
    assert (variant.state, variant.remote_id) == (VariantState.PUBLISHED, media[0]["id"])
    (container,) = standin.instagram.containers.values()
    assert container["state"] == "PUBLISHED" and container["data"]["alt_text"] == ALT
    (fetched,) = standin.fetched.values()
    with asset.file.open("rb") as stored:
        assert fetched == stored.read()  # the bytes Kalrav keeps, fetched from its address
    assert Image.open(io.BytesIO(fetched)).size == (1080, 1350)
    assert [path for path in front.seen if path.startswith("/m/")] == [
        container["data"]["image_url"].removeprefix(front.url)
    ]
    assert standin.status_polls >= 2  # IN_PROGRESS, then FINISHED
    post_url = page.url
    _shot(page, "instagram-published-en")

    # A fan comments; Meta's signed webhook brings it to the inbox. A forged one is refused.
    media_id = media[0]["id"]
    comment_id = standin.comment_on_media(COMMENT, media_id=media_id)
    forged = standin.deliver_media_comment(
        live_server.url, comment_id, media_id=media_id, secret="not-the-app's"
    )
    assert forged.status_code == 403
    assert not Message.objects.exists()
    answer = standin.deliver_media_comment(live_server.url, comment_id, media_id=media_id)
    assert answer.status_code == 200 and answer.json()["channels"] == 1, answer.text
    page.goto(f"{live_server.url}/w/{workspace.slug}/inbox/")
    row = page.locator("#inbox-rows .inbox-row", has_text="oat milk")
    expect(row).to_be_visible()
    _shot(page, "instagram-inbox-en")

    # Reply from the inbox: one reply in the comment's thread.
    row.locator("[data-row]").click()
    page.locator("#reply-form textarea").fill(REPLY)
    page.get_by_role("button", name="Send reply").click()
    sent = page.locator(".thread .bubble.out")
    expect(sent).to_have_count(1)
    expect(sent.locator(".badge")).to_have_text("Sent")
    conversation_url = page.url
    assert standin.instagram.sent == [{"on": comment_id, "message": REPLY}]
    message = Message.objects.get(direction="out")
    assert message.delivery == Delivery.SENT

    # The same pages in English and Hindi, wide and narrow.
    for language in ("en", "hi"):
        manager.language = language
        manager.save(update_fields=["language"])
        for width in (1366, 360):
            context = browser.new_context(viewport={"width": width, "height": 900})
            reader = context.new_page()
            sign_in(reader, live_server, manager)
            for name, url in (("post", post_url), ("reply", conversation_url)):
                reader.goto(url)
                expect(reader.locator("html")).to_have_attribute("lang", language)
                _shot(reader, f"instagram-{name}-{language}-{width}")
            reader.goto("about:blank")
            context.close()
    page.goto("about:blank")  # stop the inbox list polling before the tables are emptied
    assert standin.violations == []
    assert standin.fetch_refusals == []
