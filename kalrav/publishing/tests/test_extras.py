"""Threads, polls and first comments in a variant: stored in its options, refused with an error
per field when Kalrav cannot send them, checked against the network's rules like the text, over
the composer, its live check and the API."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from kalrav.api import tokens
from kalrav.connectors import registry
from kalrav.publishing import posts, scheduling
from kalrav.publishing.composer import variant_check, variant_options
from kalrav.publishing.models import Variant
from kalrav.publishing.tests.helpers import channel
from kalrav.workspaces.audit import Actor

pytestmark = pytest.mark.django_db

MASTODON = registry.get("mastodon").rules
TELEGRAM = registry.get("telegram").rules


def test_clean_keeps_what_can_be_sent_and_names_each_bad_field():
    cleaned = variant_options.clean(
        {
            "visibility": "unlisted",
            "thread": ["  second  ", "", "third"],
            "poll": {"options": ["Assam", "Darjeeling", ""], "duration": "3600"},
            "first_comment": " Shop: https://shanti.example ",
        },
        MASTODON,
    )
    assert cleaned == {
        "visibility": "unlisted",
        "thread": ["second", "third"],
        "poll": {"options": ["Assam", "Darjeeling"], "duration": 3600, "multiple": False},
        "first_comment": "Shop: https://shanti.example",
    }
    with pytest.raises(ValidationError) as refused:
        variant_options.clean(
            {
                "thread": ["ok", 7],
                "poll": {"options": ["a", "b"], "duration": "soon"},
                "first_comment": ["not text"],
            },
            MASTODON,
        )
    assert set(refused.value.message_dict) == {"thread[3]", "poll.duration", "first_comment"}


def test_extras_the_network_does_not_take_are_refused():
    with pytest.raises(ValidationError) as refused:
        variant_options.clean({"thread": ["two"], "first_comment": "hi"}, TELEGRAM)
    assert refused.value.message_dict == {
        "thread": ["This network does not take threads."],
        "first_comment": ["This network has no first comment."],
    }
    # Removing them is always possible.
    assert variant_options.clean({"thread": [], "poll": {"options": []}}, TELEGRAM) == {}


def test_the_check_counts_each_thread_post_and_checks_the_poll():
    report = variant_check.check_variant(
        "Which tea today?",
        "mastodon",
        options={
            "thread": ["fine", "x" * 501],
            "poll": {"options": ["Assam", "Assam"], "duration": 60},
            "first_comment": "y" * 501,
        },
    )
    messages = [p.message for p in report.problems]
    assert [part.length for part in report.parts] == [4, 501]
    assert report.parts[1].overflow_at == 500
    assert "Post 3: Too long by 1: 501 of 500, counted as this network counts." in messages
    assert "Two poll options are the same." in messages
    assert any(m.startswith("A poll must run at least") for m in messages)
    assert any(m.startswith("First comment: Too long by 1") for m in messages)
    targets = {p.target for p in report.problems}
    assert {"thread[3].text", "first_comment", "poll"} <= targets


def test_scheduling_is_refused_while_a_thread_post_is_too_long(members, workspace):
    editor = members["editor"]
    chan = channel(workspace, network="mastodon", name="Shanti on Mastodon")
    post = posts.create_post(editor, Actor(user=editor.user), text="Tea", channel_ids=[chan.pk])
    variant = post.variants.get()
    posts.edit_variant(editor, Actor(user=editor.user), variant.pk, options={"thread": ["x" * 600]})

    with pytest.raises(ValidationError, match="Post 2: Too long"):
        scheduling.schedule_variant(
            editor, Actor(user=editor.user), variant.pk, datetime(2099, 1, 1, tzinfo=UTC)
        )


def test_composer_saves_extras_and_shows_them_again(client, members, workspace):
    masto = channel(workspace, network="mastodon", name="Shanti on Mastodon")
    tele = channel(workspace, network="telegram", name="Shanti on Telegram")
    client.force_login(members["editor"].user)
    page = client.get(reverse("publishing:compose", kwargs={"ws": workspace.slug})).content.decode()
    # Mastodon takes threads, polls and first comments; Telegram polls only.
    assert f'name="extra-{masto.pk}-thread"' in page or f'data-extras="{masto.pk}"' in page
    assert f'name="extra-{masto.pk}-first-comment"' in page
    assert f'name="extra-{tele.pk}-poll-option"' in page
    assert f'name="extra-{tele.pk}-first-comment"' not in page
    answer = client.post(
        reverse("publishing:compose", kwargs={"ws": workspace.slug}),
        {
            "title": "Tea",
            "text": "Which tea today?",
            "channels": [str(masto.pk), str(tele.pk)],
            f"extra-{masto.pk}-present": "1",
            f"extra-{masto.pk}-thread": ["Second post", "Third post"],
            f"extra-{masto.pk}-poll-option": ["Assam", "Darjeeling", "", ""],
            f"extra-{masto.pk}-poll-duration": "86400",
            f"extra-{masto.pk}-poll-multiple": "on",
            f"extra-{masto.pk}-first-comment": "Shop: https://shanti.example",
            f"extra-{tele.pk}-present": "1",
        },
    )
    assert answer.status_code == 302
    variant = Variant.objects.get(channel=masto)
    assert variant.options == {
        "thread": ["Second post", "Third post"],
        "poll": {"options": ["Assam", "Darjeeling"], "duration": 86400, "multiple": True},
        "first_comment": "Shop: https://shanti.example",
    }
    assert Variant.objects.get(channel=tele).options == {}
    page = client.get(answer["Location"]).content.decode()
    assert "Third post</textarea>" in page and 'value="Darjeeling"' in page


def test_composer_refuses_a_thread_for_a_network_without_threads(client, members, workspace):
    tele = channel(workspace, network="telegram", name="Shanti on Telegram")
    client.force_login(members["editor"].user)
    answer = client.post(
        reverse("publishing:compose", kwargs={"ws": workspace.slug}),
        {
            "title": "Tea",
            "text": "Tea",
            "channels": [str(tele.pk)],
            f"extra-{tele.pk}-thread": ["Second post"],
        },
    )
    assert answer.status_code == 400
    assert (
        "Shanti on Telegram, thread: This network does not take threads." in answer.content.decode()
    )


def test_live_check_shows_thread_counters_poll_and_first_comment(client, members, workspace):
    masto = channel(workspace, network="mastodon", name="Shanti on Mastodon")
    client.force_login(members["editor"].user)
    answer = client.post(
        reverse("publishing:check", kwargs={"ws": workspace.slug, "channel_id": masto.pk}),
        {
            f"variant-{masto.pk}": "Which tea?",
            f"extra-{masto.pk}-present": "1",
            f"extra-{masto.pk}-thread": ["x" * 501],
            f"extra-{masto.pk}-poll-option": ["Assam", "Darjeeling"],
            f"extra-{masto.pk}-first-comment": "Shop link below",
        },
    )
    page = answer.content.decode()
    assert "Post 2: 501 / 500" in page
    assert "Post 2: Too long by 1" in page
    assert 'data-preview="poll"' in page and "Darjeeling" in page
    assert 'data-preview="first-comment"' in page


def test_api_takes_thread_poll_and_first_comment(client, members, workspace):
    owner = members["owner"]
    masto = channel(workspace, network="mastodon", name="Shanti on Mastodon")
    post = posts.create_post(owner, Actor(user=owner.user), text="Tea?", channel_ids=[masto.pk])
    variant = post.variants.get()
    token = tokens.create_token(owner, Actor(user=owner.user), name="s", role="owner")[1]
    url = f"/api/v1/workspaces/{workspace.slug}/variants/{variant.pk}"
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    answer = client.patch(
        url,
        {
            "thread": ["Part two"],
            "poll": {"options": ["Yes", "No"], "duration": 3600},
            "first_comment": "More below",
        },
        content_type="application/json",
        **headers,
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["options"] == {
        "thread": ["Part two"],
        "poll": {"options": ["Yes", "No"], "duration": 3600, "multiple": False},
        "first_comment": "More below",
    }
    answer = client.patch(
        url,
        {"poll": {"options": ["Yes"], "duration": -5}},
        content_type="application/json",
        **headers,
    )
    assert answer.status_code in (400, 422)
    assert "duration" in answer.content.decode()
    check = client.get(url + "/check", **headers).json()
    assert check["valid"] is True


def test_outgoing_extras_are_what_the_publisher_sends():
    extras = variant_options.outgoing_extras(
        {
            "thread": ["two"],
            "poll": {"options": ["a", "b"], "duration": 300, "multiple": True},
            "first_comment": "c",
            "visibility": "unlisted",
        }
    )
    assert [part.text for part in extras["thread"]] == ["two"]
    assert extras["poll"].options == ("a", "b") and extras["poll"].multiple
    assert extras["poll"].duration.total_seconds() == 300
    assert extras["first_comment"] == "c" and extras["options"] == {"visibility": "unlisted"}
