"""Tracked links and conversions: a click through a short link and a signed conversion show on the
post's page; previews are not people; replays and bad signatures are refused."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from kalrav.analytics.conversions import services as conversions
from kalrav.analytics.models import Click, Conversion, TrackedLink
from kalrav.hooks import signing
from kalrav.publishing import posts
from kalrav.publishing.tests.helpers import channel
from kalrav.workspaces.audit import Actor

pytestmark = pytest.mark.django_db

PERSON = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36"


@pytest.fixture
def post(members, workspace):
    owner = members["owner"]
    network = channel(workspace)
    made = posts.create_post(
        owner,
        Actor(user=owner.user),
        title="Winter blend",
        text="Our winter blend is here: https://shanti.example/winter?ref=home. Try it!",
        channel_ids=[network.pk],
    )
    made.campaign = "winter"
    made.save(update_fields=["campaign"])
    return made


def _track(client, workspace, post, members):
    client.force_login(members["editor"].user)
    response = client.post(f"/w/{workspace.slug}/posts/{post.pk}/track-links/")
    assert response.status_code == 302
    return TrackedLink.objects.get(post=post)


def _signed(client, workspace, secret, payload, *, when=None):
    body = json.dumps(payload).encode()
    return client.post(
        f"/conversions/{workspace.slug}/",
        body,
        content_type="application/json",
        HTTP_KALRAV_SIGNATURE=signing.header(secret, body, when),
    )


def test_a_click_and_a_signed_sale_show_on_the_posts_page(client, members, workspace, post):
    link = _track(client, workspace, post, members)
    variant = post.variants.get()
    # The draft copy now carries the short link; the address keeps the brand's own query.
    assert f"/l/{link.code}" in variant.text and "shanti.example/winter" not in variant.text
    query = parse_qs(urlsplit(link.destination).query)
    assert query["ref"] == ["home"] and query["utm_source"] == ["bluesky"]
    assert query["utm_campaign"] == ["winter"] and query["utm_medium"] == ["social"]

    # A network's card fetcher first, then a person.
    preview = client.get(f"/l/{link.code}", HTTP_USER_AGENT="Bluesky Cardyb/1.1")
    assert preview.status_code == 302 and "kalrav_click" not in preview["Location"]
    visit = client.get(f"/l/{link.code}", HTTP_USER_AGENT=PERSON, REMOTE_ADDR="203.0.113.9")
    landing = urlsplit(visit["Location"])
    assert landing.netloc == "shanti.example"
    click_id = parse_qs(landing.query)["kalrav_click"][0]
    assert Click.objects.filter(link=link, automated=True).count() == 1

    secret = conversions.new_key(workspace)
    sale = {
        "kind": "sale",
        "event_id": "order-1042",
        "value": "1499.00",
        "currency": "inr",
        "click": click_id,
    }
    created = _signed(client, workspace, secret, sale)
    assert created.status_code == 201 and created.json()["attributed"] is True
    found = Conversion.objects.get()
    assert (found.post_id, found.campaign, str(found.value), found.currency) == (
        post.pk,
        "winter",
        "1499.00",
        "INR",
    )

    client.force_login(members["analyst"].user)
    page = client.get(f"/w/{workspace.slug}/posts/{post.pk}/").content.decode()
    results = page.split('id="post-results-title"')[1].split("</section>")[0]
    assert f"/l/{link.code}" in results
    assert "<td>1 <span" in results, "one click by a person; the preview is shown apart"
    assert "(+1 automated)" in results
    assert "1499.00 INR" in results


def test_replays_and_bad_signatures_are_refused(client, members, workspace, post):
    secret = conversions.new_key(workspace)
    lead = {"kind": "lead", "event_id": "form-7"}
    assert _signed(client, workspace, secret, lead).status_code == 201
    # The same event again (a retry, or a replay of the captured request): counted once.
    assert _signed(client, workspace, secret, lead).status_code == 409
    # A signature made with another key, an old one, or none.
    assert (
        _signed(client, workspace, "cvsec_wrong", {**lead, "event_id": "form-8"}).status_code == 401
    )
    old = int(time.time()) - 3600
    assert (
        _signed(client, workspace, secret, {**lead, "event_id": "form-9"}, when=old).status_code
        == 401
    )
    body = json.dumps({**lead, "event_id": "form-10"}).encode()
    bare = client.post(f"/conversions/{workspace.slug}/", body, content_type="application/json")
    assert bare.status_code == 401
    # A body changed after signing.
    signed_body = json.dumps({**lead, "event_id": "form-11"}).encode()
    header = signing.header(secret, signed_body)
    tampered = client.post(
        f"/conversions/{workspace.slug}/",
        signed_body.replace(b"lead", b"sale"),
        content_type="application/json",
        HTTP_KALRAV_SIGNATURE=header,
    )
    assert tampered.status_code == 401
    assert Conversion.objects.count() == 1


def test_bad_reports_name_every_problem(client, workspace):
    secret = conversions.new_key(workspace)
    response = _signed(
        client, workspace, secret, {"kind": "gift", "value": "-3", "currency": "rupees"}
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"kind", "event_id", "value", "currency"}
    assert Conversion.objects.count() == 0


def test_the_page_script_needs_a_recent_click_and_never_counts_twice(
    client, members, workspace, post
):
    link = _track(client, workspace, post, members)
    visit = client.get(f"/l/{link.code}", HTTP_USER_AGENT=PERSON)
    click_id = parse_qs(urlsplit(visit["Location"]).query)["kalrav_click"][0]
    url = f"/conversions/{workspace.slug}/page/"
    beacon = json.dumps({"kind": "registration", "event_id": "user-55", "click": click_id})
    assert client.post(url, beacon, content_type="text/plain").status_code == 204
    assert client.post(url, beacon, content_type="text/plain").status_code == 204
    assert Conversion.objects.filter(source="browser").count() == 1
    # Without a click, or with a click older than the window: refused.
    stray = json.dumps({"kind": "registration", "event_id": "user-56"})
    assert client.post(url, stray, content_type="text/plain").status_code == 400
    Click.objects.filter(click_id=click_id).update(at=timezone.now() - timedelta(days=31))
    late = json.dumps({"kind": "registration", "event_id": "user-57", "click": click_id})
    assert client.post(url, late, content_type="text/plain").status_code == 400


def test_approved_copy_is_not_changed_by_tracking(client, members, workspace, post):
    from kalrav.publishing.models import Variant, VariantState

    Variant.objects.filter(post=post).update(state=VariantState.APPROVED)
    client.force_login(members["editor"].user)
    client.post(f"/w/{workspace.slug}/posts/{post.pk}/track-links/")
    assert "https://shanti.example/winter" in post.variants.get().text
    assert not TrackedLink.objects.exists()


def test_the_key_is_shown_once_and_only_to_those_who_edit_the_workspace(client, members, workspace):
    client.force_login(members["owner"].user)
    page = client.get(f"/w/{workspace.slug}/settings/conversions/").content.decode()
    assert f"/conversions/{workspace.slug}/" in page and "cvsec_" not in page
    made = client.post(f"/w/{workspace.slug}/settings/conversions/").content.decode()
    assert "cvsec_" in made
    assert "cvsec_" not in client.get(f"/w/{workspace.slug}/settings/conversions/").content.decode()
    client.force_login(members["editor"].user)
    assert client.get(f"/w/{workspace.slug}/settings/conversions/").status_code == 403
