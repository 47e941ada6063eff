"""The Instagram connector against the fake Graph API (fake.py): the container flow for each
format, waiting with backoff, exactly-once after a crash, the quota, the inbox and moderation."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from kalrav.connectors.base import (
    Author,
    IncomingItem,
    ItemKind,
    ItemRef,
    Moderation,
    OutgoingPost,
    PublishedRef,
    opened,
)
from kalrav.connectors.errors import AuthExpired, Rejected, Transient
from kalrav.connectors.networks.instagram.client import DictMemory
from kalrav.connectors.networks.instagram.tests.fake import OWN_ID, FakeInstagram, photo, video

AN_HOUR_AGO = datetime.now(UTC) - timedelta(hours=1)


def created(fake: FakeInstagram) -> list[dict]:
    return [held["data"] for held in fake.containers.values()]


def test_a_photo_goes_out_by_its_public_address_with_alt_text_and_first_comment(fake):
    post = OutgoingPost("Chai at six ☕", media=(photo(),), first_comment="#chai #kolkata")
    with opened(fake.connector()) as connector:
        ref = connector.publish(post, idempotency_key="k1")
    [data] = created(fake)
    assert data["image_url"] == "https://kalrav.example.org/m/media/1/chai.jpg/"
    assert data["alt_text"] == "A cup of chai" and data["caption"] == "Chai at six ☕"
    assert "media_type" not in data
    assert [(m["id"], m["caption"]) for m in fake.media] == [(ref.remote_id, "Chai at six ☕")]
    assert ref.url.startswith("https://www.instagram.com/p/")
    assert fake.sent == [{"on": ref.remote_id, "message": "#chai #kolkata"}]
    assert fake.quota_used == 1


def test_a_carousel_is_children_then_one_parent(fake):
    items = (photo("a.jpg"), video("b.mp4"), photo("c.jpg", alt_text=""))
    with opened(fake.connector()) as connector:
        connector.publish(OutgoingPost("Three cups", media=items), idempotency_key="k1")
    first, second, third, parent = created(fake)
    assert first["is_carousel_item"] == "true" and "alt_text" in first
    assert second["media_type"] == "VIDEO" and second["video_url"].endswith("b.mp4/")
    assert "alt_text" not in third
    assert parent["media_type"] == "CAROUSEL" and parent["caption"] == "Three cups"
    ids = [cid for cid, held in fake.containers.items() if held["data"] is not parent]
    assert parent["children"] == ",".join(ids)
    assert len(fake.media) == 1 and fake.media[0]["media_type"] == "CAROUSEL_ALBUM"


def test_a_video_is_a_reel_and_a_story_has_no_caption(fake):
    with opened(fake.connector()) as connector:
        connector.publish(OutgoingPost("Pouring", media=(video(),)), idempotency_key="k1")
        story = OutgoingPost("", media=(photo(),), options={"instagram_format": "story"})
        connector.publish(story, idempotency_key="k2")
    reel, story_data = created(fake)
    assert reel["media_type"] == "REELS" and reel["share_to_feed"] == "true"
    assert story_data["media_type"] == "STORIES" and "caption" not in story_data
    assert "alt_text" not in story_data  # Meta takes none on stories


def test_a_reel_can_stay_out_of_the_profile_grid(fake):
    only_reels = {"instagram_format": "reel", "instagram_reels_tab_only": True}
    with opened(fake.connector()) as connector:
        connector.publish(
            OutgoingPost("Tab only", media=(video(),), options=only_reels), idempotency_key="k1"
        )
    (reel,) = created(fake)
    assert reel["media_type"] == "REELS" and reel["share_to_feed"] == "false"


def test_waiting_doubles_from_two_seconds(fake):
    fake.in_progress_polls = 4
    waits: list[float] = []
    connector = fake.connector(sleep=waits.append)
    with opened(connector):
        connector.publish(OutgoingPost("Slow", media=(video(),)), idempotency_key="k1")
    assert waits == [2, 4, 8, 16]


def test_a_container_in_error_fails_with_metas_words(fake):
    fake.container_error = True
    with opened(fake.connector()) as connector, pytest.raises(Rejected) as refused:
        connector.publish(OutgoingPost("Broken", media=(photo(),)), idempotency_key="k1")
    assert "Media download has failed" in refused.value.reason
    assert fake.media == []


def test_still_processing_is_retried_with_the_same_container(fake):
    fake.in_progress_polls = 1000
    memory = DictMemory()
    post = OutgoingPost("Long reel", media=(video(),))
    with opened(fake.connector(containers=memory)) as connector, pytest.raises(Transient):
        connector.publish(post, idempotency_key="k1")
    fake.in_progress_polls = 0
    for held in fake.containers.values():
        held["polls"] = 0
    with opened(fake.connector(containers=memory)) as connector:
        ref = connector.publish(post, idempotency_key="k1")
    assert len(fake.containers) == 1, "the retry made a second container"
    assert [m["id"] for m in fake.media] == [ref.remote_id]


def test_a_retry_after_a_lost_answer_never_publishes_twice(fake):
    memory = DictMemory()
    post = OutgoingPost("Chai at six", media=(photo(),))
    # Yesterday's post with the same words is not the one this container became.
    yesterday = (datetime.now(UTC) - timedelta(hours=20)).strftime("%Y-%m-%dT%H:%M:%S+0000")
    fake.media.append({"id": "1", "caption": "Chai at six", "timestamp": yesterday})
    fake.lose_next_answer()
    with opened(fake.connector(containers=memory)) as connector:
        with pytest.raises(Transient):
            connector.publish(post, idempotency_key="k1")
        # Even without reconciling first, the kept container says PUBLISHED.
        ref = connector.publish(post, idempotency_key="k1")
    assert [m["id"] for m in fake.media] == ["1", ref.remote_id]
    assert len(fake.containers) == 1


@pytest.mark.parametrize("public", [False, "http"])
def test_no_public_https_address_is_a_clear_refusal(fake, public):
    connector = fake.connector(public=bool(public))
    if public == "http":
        connector.context = type(connector.context)(
            channel_id=9, account_id=OWN_ID, public_url=lambda item: "http://lan.local/m/x/"
        )
    with opened(connector), pytest.raises(Rejected) as refused:
        connector.publish(OutgoingPost("Hi", media=(photo(),)), idempotency_key="k1")
    assert "KALRAV_PUBLIC_URL" in refused.value.reason
    assert fake.containers == {}


def test_format_problems_refuse_before_any_request(fake):
    with opened(fake.connector()) as connector:
        for post in (
            OutgoingPost("x", media=(photo(),), options={"instagram_format": "reel"}),
            OutgoingPost(
                "caption", media=(photo(), photo()), options={"instagram_format": "story"}
            ),
            OutgoingPost("x", media=(photo(),), options={"instagram_format": "igtv"}),
        ):
            with pytest.raises(Rejected):
                connector.publish(post, idempotency_key="k")
            assert connector.validate(post)
    assert fake.requests == []


def test_remaining_posts_reads_the_quota(fake):
    fake.quota_used = 98
    with opened(fake.connector()) as connector:
        assert connector.remaining_posts() == 2
        fake.quota_used = 100
        assert connector.remaining_posts() == 0


def test_reconcile_matches_caption_and_time_only(fake):
    fake.media.append(
        {"id": "1", "caption": "Chai at six", "timestamp": "2020-01-01T00:00:00+0000"}
    )
    post = OutgoingPost("Chai at six", media=(photo(),))
    with opened(fake.connector()) as connector:
        assert connector.reconcile(post, idempotency_key="k", not_before=AN_HOUR_AGO) is None
        ref = connector.publish(post, idempotency_key="k")
        found = connector.reconcile(post, idempotency_key="k", not_before=AN_HOUR_AGO)
        other = OutgoingPost("Chai at seven", media=(photo(),))
        assert connector.reconcile(other, idempotency_key="o", not_before=AN_HOUR_AGO) is None
    assert found is not None and found.remote_id == ref.remote_id


def test_delete_is_refused_as_the_api_cannot(fake):
    with opened(fake.connector()) as connector, pytest.raises(Rejected):
        connector.delete(PublishedRef("1"), idempotency_key="k")


def test_an_expired_token_is_auth_expired(fake):
    fake.answer_next_write("error_401")
    with opened(fake.connector()) as connector, pytest.raises(AuthExpired):
        connector.publish(OutgoingPost("x", media=(photo(),)), idempotency_key="k")


# --- inbox --------------------------------------------------------------------------------------


def _item(kind: ItemKind, remote_id: str, root: str = "", author: str = "42") -> IncomingItem:
    return IncomingItem(kind, remote_id, Author(author), "hi", datetime.now(UTC), root_id=root)


def test_replies_go_where_each_kind_is_answered(fake):
    with opened(fake.connector()) as connector:
        connector.reply(_item(ItemKind.COMMENT, "c1"), OutgoingPost("Thanks!"), idempotency_key="a")
        connector.reply(
            _item(ItemKind.COMMENT, "c2"),
            OutgoingPost("Sent you a message", options={"private_reply": True}),
            idempotency_key="b",
        )
        connector.reply(
            _item(ItemKind.DIRECT_MESSAGE, "m1"), OutgoingPost("Hi"), idempotency_key="c"
        )
        connector.reply(
            _item(ItemKind.MENTION, "c3", root="m9"), OutgoingPost("🙏"), idempotency_key="d"
        )
    assert fake.sent[0] == {"on": "c1", "message": "Thanks!"}
    assert fake.sent[1]["via"] == "messages" and '"comment_id":"c2"' in fake.sent[1]["recipient"]
    assert fake.sent[2]["via"] == "messages" and '"id":"42"' in fake.sent[2]["recipient"]
    assert fake.sent[3] == {
        "via": "mentions",
        "media_id": "m9",
        "comment_id": "c3",
        "message": "🙏",
    }


def test_hide_unhide_delete_and_what_is_offered(fake):
    theirs = ItemRef("c1")
    with opened(fake.connector()) as connector:
        assert connector.moderation_actions(theirs) == {
            Moderation.HIDE,
            Moderation.UNHIDE,
            Moderation.DELETE,
        }
        assert connector.moderation_actions(ItemRef("c2", ours=True)) == {Moderation.DELETE}
        assert connector.moderation_actions(ItemRef("m", kind=ItemKind.DIRECT_MESSAGE)) == set()
        connector.hide(theirs, idempotency_key="h")
        assert fake.hidden == {"c1": True}
        connector.unhide(theirs, idempotency_key="u")
        assert fake.hidden == {"c1": False}
        connector.delete_item(theirs, idempotency_key="d")
        with pytest.raises(Rejected):
            connector.like(theirs, idempotency_key="l")
    assert fake.deleted == ["c1"]


def test_complete_fills_a_mention_and_an_authorless_comment(fake):
    with opened(fake.connector()) as connector:
        mention, comment = connector.complete(
            [
                _item(ItemKind.MENTION, "17894227972186120", "17901234567890123", author=""),
                _item(ItemKind.COMMENT, "17870913679156914", author=""),
            ]
        )
    assert mention.kind == ItemKind.MENTION and mention.author.handle == "guest_writer"
    assert mention.text.startswith("@kalrav_chai") and mention.root_id == "17901234567890123"
    assert comment.author.handle == "chai_lover" and comment.text == "When do you open?"


def test_insights_for_posts_and_the_account(fake):
    with opened(fake.connector()) as connector:
        rows = connector.post_metrics([PublishedRef("17920238422030506")])
        account = connector.channel_metrics()
    assert {(r.metric, r.value) for r in rows} == {("views", 412), ("reach", 300), ("likes", 31)}
    assert {(r.metric, r.value) for r in account} == {
        ("followers", 1200),
        ("follows_count", 80),
        ("media_count", 64),
    }


def test_verify_names_the_account_and_subscribes_its_page(fake):
    connector = fake.connector()
    connector.context = type(connector.context)(
        channel_id=9,
        config={"ig_user_id": OWN_ID, "page_id": "101"},
        credentials=connector.context.credentials,
        account_id=OWN_ID,
    )
    with opened(connector):
        account = connector.verify()
    assert (account.remote_id, account.handle) == (OWN_ID, "kalrav_chai")
    assert account.url == "https://www.instagram.com/kalrav_chai/"
    assert fake.subscribed == [("101", "feed")]


def test_metas_usage_headers_are_the_rate_budget(fake):
    # https://developers.facebook.com/docs/graph-api/overview/rate-limiting/ (Instagram: type
    # "instagram", Business Use Case usage keyed by the account's id).
    usage = {
        OWN_ID: [
            {
                "type": "instagram",
                "call_count": 28,
                "total_cputime": 7,
                "total_time": 12,
                "estimated_time_to_regain_access": 0,
            }
        ]
    }
    fake.usage_headers = {"X-Business-Use-Case-Usage": json.dumps(usage)}
    with opened(fake.connector()) as connector:
        assert connector.rate_budgets() == []  # nothing asked yet
        connector.remaining_posts()
        [budget] = connector.rate_budgets()
    assert (budget.remaining, budget.limit) == (72, 100)


def test_a_refused_first_comment_leaves_the_post_published(fake):
    post = OutgoingPost("Chai", media=(photo(),), first_comment="#chai")
    with opened(fake.connector()) as connector:
        original = fake._post

        def refuse_comment(request, path, form):
            if path.endswith("/comments"):
                return recorded_refusal()
            return original(request, path, form)

        fake._post = refuse_comment
        ref = connector.publish(post, idempotency_key="k1")
    assert [m["id"] for m in fake.media] == [ref.remote_id]
    assert "8 MiB" in ref.extra["first_comment_error"]


def recorded_refusal():
    from kalrav.connectors.networks.instagram.tests.fake import FIXTURES
    from kalrav.connectors.testing import recorded

    return recorded(FIXTURES, "error_refused").response()
