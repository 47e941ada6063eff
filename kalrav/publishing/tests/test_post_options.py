"""The settings each network declares for its posts (NetworkRules.post_options): shown in the
composer from the declaration, switching the live check with the format chosen, refused with a
clear error when unknown or wrong (nothing saved half), and the same over the API."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from kalrav.api import tokens
from kalrav.connectors import registry
from kalrav.publishing import posts
from kalrav.publishing.composer import variant_options
from kalrav.publishing.models import Variant
from kalrav.publishing.tests.helpers import channel
from kalrav.workspaces.audit import Actor

pytestmark = pytest.mark.django_db


def _compose(workspace):
    return reverse("publishing:compose", kwargs={"ws": workspace.slug})


def _check(workspace, chan):
    return reverse("publishing:check", kwargs={"ws": workspace.slug, "channel_id": chan.pk})


def test_each_network_declares_its_own_options():
    names = {
        slug: [option.name for option in registry.get(slug).rules.post_options]
        for slug in ("instagram", "facebook", "x", "mastodon")
    }
    assert names == {
        "instagram": ["instagram_format", "instagram_reels_tab_only"],
        "facebook": ["reel", "link"],
        "x": ["reply_settings"],
        "mastodon": ["visibility", "spoiler_text", "sensitive"],
    }
    assert registry.get("telegram").rules.post_options == ()


def test_the_composer_shows_the_declared_options_with_their_labels(client, members, workspace):
    insta = channel(workspace, network="instagram", name="Shanti on Instagram")
    masto = channel(workspace, network="mastodon", name="Shanti on Mastodon")
    tele = channel(workspace, network="telegram", name="Shanti on Telegram")
    client.force_login(members["editor"].user)
    page = client.get(_compose(workspace)).content.decode()
    # Three formats: radios, the feed chosen by default.
    assert f'name="extra-{insta.pk}-opt-instagram_format" value="feed" checked' in page
    assert f'name="extra-{insta.pk}-opt-instagram_format" value="reel"' in page
    assert "Reel (one video)" in page
    # Five visibilities: a menu; a text box for the content warning; a box for sensitive media.
    assert f'<select id="opt-{masto.pk}-visibility"' in page
    assert f'name="extra-{masto.pk}-opt-spoiler_text"' in page
    assert f'type="checkbox" name="extra-{masto.pk}-opt-sensitive"' in page
    assert f"extra-{tele.pk}-opt-" not in page


def test_choosing_story_or_reel_changes_the_check(client, members, workspace):
    insta = channel(workspace, network="instagram", name="Shanti on Instagram")
    client.force_login(members["editor"].user)
    sent = {f"variant-{insta.pk}": "New chai", f"extra-{insta.pk}-opts": "1"}
    feed = client.post(_check(workspace, insta), {**sent}).content.decode()
    assert "Photos: at most 10" in feed and "story_caption" not in feed
    story = client.post(
        _check(workspace, insta), {**sent, f"extra-{insta.pk}-opt-instagram_format": "story"}
    ).content.decode()
    assert 'data-code="story_caption"' in story
    assert "Format: Story" in story  # the preview names the format
    reel = client.post(
        _check(workspace, insta), {**sent, f"extra-{insta.pk}-opt-instagram_format": "reel"}
    ).content.decode()
    assert "Videos: at most 1 · MOV, MP4 · 3 s to 15 min" in reel
    assert "Photos:" not in reel


def test_the_composer_saves_the_choice_and_removes_it_when_emptied(client, members, workspace):
    masto = channel(workspace, network="mastodon", name="Shanti on Mastodon")
    client.force_login(members["editor"].user)
    base = {
        "title": "Tea",
        "text": "Which tea today?",
        "channels": [str(masto.pk)],
        f"extra-{masto.pk}-present": "1",
        f"extra-{masto.pk}-opts": "1",
    }
    answer = client.post(
        _compose(workspace),
        {
            **base,
            f"extra-{masto.pk}-opt-visibility": "unlisted",
            f"extra-{masto.pk}-opt-spoiler_text": "Spoilers",
            f"extra-{masto.pk}-opt-sensitive": "on",
        },
    )
    assert answer.status_code == 302
    variant = Variant.objects.get(channel=masto)
    assert variant.options == {
        "visibility": "unlisted",
        "spoiler_text": "Spoilers",
        "sensitive": True,
    }
    page = client.get(answer["Location"]).content.decode()
    assert 'value="unlisted" selected' in page and 'value="Spoilers"' in page
    post_url = answer["Location"]
    # Emptied and unticked: gone, the rest kept.
    answer = client.post(post_url, {**base, f"extra-{masto.pk}-opt-visibility": "private"})
    assert answer.status_code == 302, answer.content.decode()[:2000]
    variant.refresh_from_db()
    assert variant.options == {"visibility": "private"}


def test_the_server_refuses_a_value_the_network_does_not_declare(client, members, workspace):
    insta = channel(workspace, network="instagram", name="Shanti on Instagram")
    masto = channel(workspace, network="mastodon", name="Shanti on Mastodon")
    client.force_login(members["editor"].user)
    answer = client.post(
        _compose(workspace),
        {
            "title": "Tea",
            "text": "Tea",
            "channels": [str(insta.pk), str(masto.pk)],
            f"extra-{insta.pk}-opts": "1",
            f"extra-{insta.pk}-opt-instagram_format": "igtv",
            f"extra-{masto.pk}-opts": "1",
            f"extra-{masto.pk}-opt-visibility": "public",
        },
    )
    assert answer.status_code == 400
    page = answer.content.decode()
    assert "Shanti on Instagram, Format: Choose one of:" in page
    # Nothing saved half: the post and its other variant are not there either.
    assert not Variant.objects.filter(post__workspace=workspace).exists()


def test_clean_names_unknown_options_and_bad_values():
    rules = registry.get("x").rules
    assert variant_options.clean({"reply_settings": "following", "language": "hi"}, rules) == {
        "reply_settings": "following",
        "language": "hi",
    }
    assert variant_options.clean({"reply_settings": ""}, rules) == {}  # everyone: left out
    with pytest.raises(ValidationError) as refused:
        variant_options.clean({"reply_settings": "friends", "visibility": "public"}, rules)
    errors = refused.value.message_dict
    assert set(errors) == {"reply_settings", "visibility"}
    assert "“following”" in errors["reply_settings"][0]
    assert "no option called “visibility”" in errors["visibility"][0]
    with pytest.raises(ValidationError) as refused:
        variant_options.clean({"reel": "yes"}, registry.get("facebook").rules)
    assert refused.value.message_dict == {"reel": ["Say true or false."]}


def test_the_api_takes_and_refuses_the_same_options(client, members, workspace):
    owner = members["owner"]
    insta = channel(workspace, network="instagram", name="Shanti on Instagram")
    post = posts.create_post(owner, Actor(user=owner.user), text="Chai", channel_ids=[insta.pk])
    variant = post.variants.get()
    token = tokens.create_token(owner, Actor(user=owner.user), name="s", role="owner")[1]
    url = f"/api/v1/workspaces/{workspace.slug}/variants/{variant.pk}"
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    answer = client.patch(
        url,
        {"options": {"instagram_format": "story"}},
        content_type="application/json",
        **headers,
    )
    assert answer.status_code == 200, answer.content
    assert client.get(url, **headers).json()["options"] == {"instagram_format": "story"}
    check = client.get(url + "/check", **headers).json()
    assert "story_caption" in {problem["code"] for problem in check["problems"]}
    answer = client.patch(
        url,
        {"options": {"instagram_format": "story", "reply_settings": "following"}},
        content_type="application/json",
        **headers,
    )
    assert answer.status_code in (400, 422)
    assert "reply_settings" in answer.content.decode()
    assert client.get(url, **headers).json()["options"] == {"instagram_format": "story"}


def test_validate_applies_the_rules_for_the_options_given(client, members):
    client.force_login(members["owner"].user)
    image = {"kind": "image", "mime_type": "image/jpeg", "size": 1000, "width": 800, "height": 800}

    def codes(options):
        body = {"network": "instagram", "text": "", "media": [image], "options": options}
        answer = client.post("/api/v1/validate", body, content_type="application/json")
        assert answer.status_code == 200, answer.content
        return {problem["code"] for problem in answer.json()["problems"]}

    assert codes({}) == set()  # a photo makes a feed post
    assert codes({"instagram_format": "reel"})  # a reel takes a video, not a photo
    assert codes({"instagram_format": "story"}) == set()


def test_every_declared_option_is_one_the_composer_can_show():
    for slug in registry.available():
        for option in registry.get(slug).rules.post_options:
            assert option.kind in ("choice", "bool", "text"), (slug, option.name)
            assert str(option.label) and not isinstance(option.label, str), (slug, option.name)
            if option.kind == "choice":
                assert option.default in {value for value, _label in option.choices}
            if option.kind == "bool":
                assert option.default is False


def test_the_content_warning_counts_in_the_live_check(client, members, workspace):
    masto = channel(workspace, network="mastodon", name="Shanti on Mastodon")
    client.force_login(members["editor"].user)
    sent = {f"variant-{masto.pk}": "c" * 490, f"extra-{masto.pk}-opts": "1"}
    assert "490 / 500" in client.post(_check(workspace, masto), sent).content.decode()
    page = client.post(
        _check(workspace, masto), {**sent, f"extra-{masto.pk}-opt-spoiler_text": "Spoilers ahead"}
    ).content.decode()
    assert "504 / 500" in page and 'data-code="too_long"' in page
    assert "Content warning: Spoilers ahead" in page
