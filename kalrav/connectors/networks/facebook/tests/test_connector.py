"""The Facebook connector against the fake Graph API: signing in for many Pages, each kind of
post, finding a post again, the inbox and its answers, insights, and the field names Kalrav asks
for checked against Meta's facebook-business SDK."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from kalrav.connectors.base import (
    Author,
    IncomingItem,
    ItemKind,
    ItemRef,
    MediaItem,
    MediaKind,
    Moderation,
    OutgoingPost,
    PublishedRef,
    opened,
)
from kalrav.connectors.errors import AuthExpired, RateLimited, Rejected
from kalrav.connectors.networks.facebook import connector as connector_module
from kalrav.connectors.networks.facebook import mapping, oauth
from kalrav.connectors.networks.facebook.connector import FacebookConnector
from kalrav.connectors.networks.facebook.tests.fake import (
    HTTP_OPTIONS,
    PAGE_ID,
    FakeGraph,
    fixture,
)

KEY = "k"


def photo(name: str) -> MediaItem:
    return MediaItem(MediaKind.IMAGE, "image/jpeg", 2048, 1080, 1080, source=name)


# --- signing in ---------------------------------------------------------------------------------


def test_dialog_asks_for_the_page_permissions(fake: FakeGraph):
    url, kept = FacebookConnector.oauth_start("", redirect_uri="https://k.example/cb", state="s1")
    assert url.startswith("https://www.facebook.com/v23.0/dialog/oauth?")
    assert "client_id=1234567890" in url and "state=s1" in url
    assert "pages_manage_posts" in url and "pages_messaging" in url
    assert kept == {"redirect_uri": "https://k.example/cb"}


def test_login_for_business_sends_its_configuration(fake: FakeGraph, settings):
    settings.META_LOGIN_CONFIG_ID = "998877"
    url, _kept = FacebookConnector.oauth_start("", redirect_uri="https://k/cb", state="s")
    assert "config_id=998877" in url and "scope=" not in url


def test_no_app_configured_says_so(settings):
    settings.META_APP_ID = ""
    with pytest.raises(Rejected, match="KALRAV_META_APP_ID"):
        FacebookConnector.oauth_start("", redirect_uri="https://k/cb", state="s")


def test_one_sign_in_gives_every_page_with_its_token_and_the_user_tokens_expiry(fake: FakeGraph):
    before = datetime.now(UTC)
    found = FacebookConnector.connect_pages(
        {"redirect_uri": "https://k/cb"}, "good-code", http_options=HTTP_OPTIONS
    )
    assert [c.account.remote_id for c in found] == ["104000000000001", "104000000000002"]
    assert [c.credentials["page_token"] for c in found] == ["EAApage1", "EAApage2"]
    assert (
        found[0].account.display_name == "Chai Corner" and found[1].account.display_name == "চা ঘর"
    )
    assert found[0].account.avatar_url.startswith("https://scontent")
    expires = found[0].expires_at
    assert expires is not None and timedelta(days=59) < expires - before < timedelta(days=61)
    # the short-lived token was traded for the long-lived one before listing Pages
    assert ("GET", "oauth/access_token") in fake.requests
    assert "EAAshort" not in repr(found)


def test_a_used_code_is_a_new_sign_in(fake: FakeGraph):
    FacebookConnector.connect_pages({}, "good-code", http_options=HTTP_OPTIONS)
    with pytest.raises(AuthExpired, match="authorization code has been used"):
        FacebookConnector.connect_pages({}, "good-code", http_options=HTTP_OPTIONS)


def test_verify_names_the_page_and_subscribes_it_to_the_webhook(fake: FakeGraph):
    with opened(fake.connector()) as connector:
        account = connector.verify()
    assert (account.remote_id, account.handle) == (PAGE_ID, "chaicorner")
    assert fake.subscribed == ["feed,messages"]


def test_revoked_token_is_auth_expired(fake: FakeGraph):
    fake.revoked = True
    with opened(fake.connector()) as connector, pytest.raises(AuthExpired):
        connector.publish(OutgoingPost("hi"), idempotency_key=KEY)


# --- publishing ---------------------------------------------------------------------------------


def test_link_is_sent_for_its_preview(fake: FakeGraph):
    with opened(fake.connector()) as connector:
        connector.publish(OutgoingPost("New menu: https://chai.example/menu."), idempotency_key=KEY)
    assert fake.feed[0]["sent"]["link"] == "https://chai.example/menu"


def test_photos_are_uploaded_unpublished_then_attached_to_one_post(fake: FakeGraph):
    post = OutgoingPost("Three cups", media=(photo("a"), photo("b"), photo("c")))
    with opened(fake.connector()) as connector:
        ref = connector.publish(post, idempotency_key=KEY)
    assert len(fake.feed) == 1 and ref.remote_id == fake.feed[0]["id"]
    attached = json.loads(fake.feed[0]["sent"]["attached_media"])
    assert [a["media_fbid"] for a in attached] == list(fake.photos)
    assert len(fake.photos) == 3


def test_eleven_photos_do_not_validate():
    post = OutgoingPost("x", media=tuple(photo(str(n)) for n in range(11)))
    from kalrav.connectors.base import ConnectorContext

    problems = FacebookConnector(ConnectorContext(channel_id=1)).validate(post)
    assert problems, "Facebook takes at most 10 photos"


def test_video_goes_up_in_the_chunks_meta_asks_for(fake: FakeGraph):
    video = MediaItem(MediaKind.VIDEO, "video/mp4", 50, duration=10, source="v")
    with opened(fake.connector()) as connector:
        ref = connector.publish(OutgoingPost("Our kitchen", media=(video,)), idempotency_key=KEY)
    held = fake.videos[ref.remote_id]
    assert held["published"] and held["description"] == "Our kitchen"
    assert held["data"] == b"\x89PNG" + b"v" * 40
    assert sum(1 for r in fake.requests if r == ("POST", f"{PAGE_ID}/videos")) > 3


def test_reel_uploads_to_rupload_then_publishes(fake: FakeGraph):
    video = MediaItem(MediaKind.VIDEO, "video/mp4", 50, 1080, 1920, duration=20, source="r")
    post = OutgoingPost("Pouring", media=(video,), options={"reel": True})
    with opened(fake.connector()) as connector:
        assert connector.validate(post) == []
        ref = connector.publish(post, idempotency_key=KEY)
    video_id = ref.remote_id.split("_")[-1]
    assert fake.videos[video_id]["published"] and fake.videos[video_id]["data"]


def test_reel_rules_are_checked():
    from kalrav.connectors.base import ConnectorContext

    wide = MediaItem(MediaKind.VIDEO, "video/mp4", 50, 1920, 1080, duration=200, source="r")
    codes = {
        p.code
        for p in FacebookConnector(ConnectorContext(channel_id=1)).validate(
            OutgoingPost("x", media=(wide,), options={"reel": True})
        )
    }
    assert {"reel_duration", "reel_ratio"} <= codes


def test_first_comment_follows_the_post(fake: FakeGraph):
    with opened(fake.connector()) as connector:
        ref = connector.publish(
            OutgoingPost("Open", first_comment="Menu below"), idempotency_key=KEY
        )
    comment_id = ref.extra["first_comment"]
    assert fake.comments[comment_id]["post_id"] == ref.remote_id


def test_reconcile_finds_the_oldest_match_only_since_the_first_try(fake: FakeGraph):
    with opened(fake.connector()) as connector:
        old = connector.publish(OutgoingPost("Same words"), idempotency_key="1")
        since = datetime.now(UTC)
        fake._clock = since + timedelta(minutes=5)
        new = connector.publish(OutgoingPost("  Same words "), idempotency_key="2")
        found = connector.reconcile(
            OutgoingPost("Same words"), idempotency_key="2", not_before=since
        )
    assert found is not None and found.remote_id == new.remote_id != old.remote_id


def test_delete_of_a_post_already_gone_is_done(fake: FakeGraph):
    with opened(fake.connector()) as connector:
        ref = connector.publish(OutgoingPost("bye"), idempotency_key=KEY)
        connector.delete(ref, idempotency_key=KEY)
        connector.delete(ref, idempotency_key=KEY)
    assert fake.feed == []


def test_a_page_rate_limit_waits_for_metas_estimate(fake: FakeGraph):
    fake.answer_next_write("error_rate_limited")
    with opened(fake.connector()) as connector, pytest.raises(RateLimited) as limited:
        connector.publish(OutgoingPost("busy"), idempotency_key=KEY)
    assert limited.value.retry_after == 12 * 60  # estimated_time_to_regain_access, in minutes
    assert fake.feed == []


def test_spent_usage_budget_holds_further_calls(fake: FakeGraph):
    fake.usage = {"call_count": 97, "total_cputime": 10, "total_time": 10}
    with opened(fake.connector()) as connector:
        connector.publish(OutgoingPost("one"), idempotency_key="1")
        with pytest.raises(RateLimited):
            connector.publish(OutgoingPost("two"), idempotency_key="2")
        assert connector.rate_budgets()[0].remaining == 3
    assert len(fake.feed) == 1


# --- the inbox ----------------------------------------------------------------------------------


def item(
    kind: ItemKind, remote_id: str, author: str, age: timedelta = timedelta(0)
) -> IncomingItem:
    return IncomingItem(kind, remote_id, Author(author), "hi", datetime.now(UTC) - age)


def test_reply_to_a_comment_and_in_private(fake: FakeGraph):
    comment_id = fake.receive("When do you open?")
    to = item(ItemKind.COMMENT, comment_id, "6100000000000077")
    with opened(fake.connector()) as connector:
        ref = connector.reply(to, OutgoingPost("At six"), idempotency_key=KEY)
        connector.reply(
            to, OutgoingPost("Sent you the menu", options={"private": True}), idempotency_key=KEY
        )
    assert fake.comments[ref.remote_id]["parent"] == {"id": comment_id}
    assert fake.sent[-1]["recipient"] == {"comment_id": comment_id}


def test_an_answer_to_a_reply_goes_into_its_comments_thread(fake: FakeGraph):
    top = fake.receive("When do you open?")
    reply = IncomingItem(
        ItemKind.REPLY, "900_1", Author("61"), "and Sunday?", datetime.now(UTC), parent_id=top
    )
    with opened(fake.connector()) as connector:
        ref = connector.reply(reply, OutgoingPost("From 6"), idempotency_key=KEY)
    assert fake.comments[ref.remote_id]["parent"] == {"id": top}


def test_messenger_reply_only_within_24_hours(fake: FakeGraph):
    mid = fake.message("Open on Sunday?")
    with opened(fake.connector()) as connector:
        connector.reply(
            item(ItemKind.DIRECT_MESSAGE, mid, "6200000000000088"),
            OutgoingPost("Yes"),
            idempotency_key=KEY,
        )
        assert fake.sent[-1]["recipient"] == {"id": "6200000000000088"}
        late = item(ItemKind.DIRECT_MESSAGE, "m_old", "6200000000000088", timedelta(hours=25))
        with pytest.raises(Rejected, match="24 hours"):
            connector.reply(late, OutgoingPost("Sorry"), idempotency_key=KEY)
    assert len(fake.sent) == 1


def test_the_network_also_refuses_outside_the_window(fake: FakeGraph):
    fake.message("old", age=timedelta(hours=30))
    fresh_looking = item(ItemKind.DIRECT_MESSAGE, "m_x", "6200000000000088")
    with (
        opened(fake.connector()) as connector,
        pytest.raises(Rejected, match="outside of allowed window"),
    ):
        connector.reply(fresh_looking, OutgoingPost("late"), idempotency_key=KEY)


def test_hide_unhide_like_and_delete_a_comment(fake: FakeGraph):
    comment_id = fake.receive("spam spam")
    ref = ItemRef(comment_id)
    with opened(fake.connector()) as connector:
        assert Moderation.HIDE in connector.moderation_actions(ref)
        assert Moderation.HIDE not in connector.moderation_actions(ItemRef("x", ours=True))
        assert (
            connector.moderation_actions(ItemRef("m", kind=ItemKind.DIRECT_MESSAGE)) == frozenset()
        )
        connector.hide(ref, idempotency_key=KEY)
        assert comment_id in fake.hidden
        connector.unhide(ref, idempotency_key=KEY)
        assert comment_id not in fake.hidden
        connector.like(ref, idempotency_key=KEY)
        assert comment_id in fake.liked
        connector.delete_item(ref, idempotency_key=KEY)
        connector.delete_item(ref, idempotency_key=KEY)  # already gone: done
    assert comment_id not in fake.comments


def test_polling_reads_comments_and_messages_but_not_the_pages_own(fake: FakeGraph):
    first = fake.receive("Hello")
    mid = fake.message("Γεια")
    with opened(fake.connector()) as connector:
        connector.reply(
            item(ItemKind.COMMENT, first, "61"), OutgoingPost("Hi!"), idempotency_key=KEY
        )
        page = connector.fetch_inbox(None)
    assert [i.remote_id for i in page.items] == [first, mid]
    assert page.items[1].kind == ItemKind.DIRECT_MESSAGE


def test_cursor_keeps_items_of_the_same_second(fake: FakeGraph):
    first = fake.receive("one")
    with opened(fake.connector()) as connector:
        page = connector.fetch_inbox(None)
        fake._clock -= timedelta(seconds=1)  # the next comment lands in the same second
        second = fake.receive("two")
        again = connector.fetch_inbox(page.cursor)
    assert [i.remote_id for i in page.items] == [first]
    assert [i.remote_id for i in again.items] == [second]


def test_polling_spaces_itself_out_as_metas_budget_fills(fake: FakeGraph):
    fake.receive("one")
    fake.usage = {"call_count": 75, "total_cputime": 5, "total_time": 5}
    with opened(fake.connector()) as connector:
        page = connector.fetch_inbox(None)
        assert page.items
        fake.receive("two")
        calls = len(fake.requests)
        held = connector.fetch_inbox(page.cursor)
        assert held.items == () and held.cursor == page.cursor
        assert len(fake.requests) == calls  # not due: no call made
    waited = json.loads(page.cursor.value)["not_before"] - datetime.now(UTC).timestamp()
    assert 14 * 60 < waited <= 15 * 60 + 1  # halfway from 50 % to 100 %: half of 30 minutes


def test_partial_push_is_completed_by_a_fetch(fake: FakeGraph):
    comment_id = fake.receive("কখন খুলবেন?")
    partial = mapping.feed_comment(
        {
            "comment_id": comment_id,
            "post_id": fake.feed[0]["id"],
            "item": "comment",
            "verb": "add",
            "created_time": 1,
        }
    )
    dm = mapping.messenger(
        {
            "sender": {"id": "6200000000000088"},
            "timestamp": 1765096801123,
            "message": {"mid": "m_1", "text": "Hi"},
        }
    )
    gone = mapping.feed_comment({"comment_id": "1_2", "post_id": "1_3", "created_time": 1})
    with opened(fake.connector()) as connector:
        done = connector.complete([partial, dm, gone])
    assert (done[0].author.display_name, done[0].text) == ("Asha Rao", "কখন খুলবেন?")
    assert done[1].author.display_name == "Nikos P."
    assert done[2] == gone


# --- insights -----------------------------------------------------------------------------------


def test_post_and_page_metrics_use_kalravs_names_where_they_add_up(fake: FakeGraph):
    with opened(fake.connector()) as connector:
        rows = connector.post_metrics([PublishedRef(f"{PAGE_ID}_900000000000001")])
        page = connector.channel_metrics()
    by_name = {row.metric: row.value for row in rows}
    assert by_name["views"] == 1520  # Meta's post_media_view
    assert by_name["post_reactions_by_type_total.love"] == 3
    assert (by_name["shares"], by_name["comments"], by_name["reactions"]) == (4, 9, 15)
    page_rows = {row.metric: row.value for row in page}
    assert page_rows["views"] == 287  # page_media_view, the latest day
    assert page_rows["followers"] == 1204


def test_retired_metrics_still_leave_the_counts(fake: FakeGraph):
    fake.metrics_retired = True
    with opened(fake.connector()) as connector:
        rows = connector.post_metrics([PublishedRef(f"{PAGE_ID}_900000000000001")])
    assert {row.metric for row in rows} == {"shares", "comments", "reactions"}


# --- field names, checked against Meta's SDK ---------------------------------------------------


def _fields(spec: str) -> set[str]:
    """Top-level field names of a Graph `fields` value ("a,b{c,d},e.limit(0)")."""
    depth, names, current = 0, [], ""
    for char in spec:
        if char in "{(":
            depth += 1
        elif char in "})":
            depth -= 1
        elif char == "," and depth == 0:
            names.append(current)
            current = ""
            continue
        if depth == 0 and char not in "})":
            current += char
    names.append(current)
    return {re.split(r"[.{(]", name)[0] for name in names if name}


def _names(field_class: type) -> set[str]:
    """The Graph names an SDK Field class lists ("from" is kept as field_from)."""
    return {value for key, value in vars(field_class).items() if not key.startswith("_")}


def test_field_names_exist_in_the_sdk():
    sdk = pytest.importorskip(
        "facebook_business.adobjects.page", reason="pip install facebook-business"
    )
    from facebook_business.adobjects.comment import Comment
    from facebook_business.adobjects.pagepost import PagePost

    page_fields = _names(sdk.Page.Field)
    # access_token and tasks are the /me/accounts edge's own; picture is an edge of Page.
    assert _fields(oauth.PAGE_FIELDS) - {"access_token", "tasks", "picture"} <= page_fields
    assert hasattr(sdk.Page, "get_picture")
    assert {"followers_count", "fan_count", "username", "link"} <= page_fields
    assert _fields(mapping.POST_FIELDS) <= _names(PagePost.Field)
    assert {"shares", "comments", "reactions"} <= _names(PagePost.Field) | {
        "comments",
        "reactions",
    }
    assert _fields(mapping.COMMENT_FIELDS) <= _names(Comment.Field)
    assert "is_hidden" in _names(Comment.Field)


def test_every_fixture_body_uses_sdk_field_names():
    pytest.importorskip("facebook_business")
    from facebook_business.adobjects.comment import Comment

    comment = fixture("comment")
    assert set(comment) <= _names(Comment.Field)


def test_metric_names_are_the_ones_kalrav_asks_for():
    assert {m["name"] for m in fixture("post_insights")["data"]} == set(
        connector_module.POST_METRICS
    )
    assert {m["name"] for m in fixture("page_insights")["data"]} == set(
        connector_module.PAGE_METRICS
    )
