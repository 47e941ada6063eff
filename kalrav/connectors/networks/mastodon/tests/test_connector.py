"""The Mastodon connector against faked, documented responses: what it sends, what it returns,
and which typed error each failure becomes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import httpx
import pytest

from kalrav.connectors.account import AccountVerifier, ConfigReader, OAuthConnect
from kalrav.connectors.base import (
    CAPABILITIES,
    Author,
    Cursor,
    IncomingItem,
    ItemKind,
    MediaItem,
    MediaKind,
    OutgoingPost,
    Poll,
    PublishedRef,
    PublishQuota,
    RateBudgetReporter,
    Reconciler,
    ReplyHider,
    ResumableStreamer,
)
from kalrav.connectors.errors import AuthExpired, RateLimited, Rejected, Transient
from kalrav.connectors.networks.mastodon.connector import MastodonConnector
from kalrav.connectors.networks.mastodon.tests import payloads
from kalrav.connectors.networks.mastodon.tests.conftest import TOKEN, make_connector

FAN = payloads.account(payloads.FAN_ID, "fan", acct="fan@other.example")
PNG = MediaItem(
    MediaKind.IMAGE, "image/png", 2048, 4, 4, alt_text="A cup of chai", source="m/a.png"
)


def sent(route, index: int = -1) -> dict:
    """The body of a call as a dict of lists (form) or as JSON, as Mastodon.py chose."""
    request = route.calls[index].request
    if request.headers.get("content-type", "").startswith("application/json"):
        return json.loads(request.content)
    return {k.removesuffix("[]"): v for k, v in parse_qs(request.content.decode()).items()}


def statuses_route(api, *replies):
    return api.post("/api/v1/statuses").mock(
        side_effect=[httpx.Response(200, json=reply) for reply in replies]
    )


# --- Declarations --------------------------------------------------------------------------------


def test_declares_every_capability_it_implements():
    # Mastodon cannot hide a reply from a thread, resends its key rather than searching for a
    # post, and its streaming API has no position to resume from (polling fills a gap): everything
    # but ReplyHider, Reconciler, ResumableStreamer, PublishQuota and RateBudgetReporter, and
    # signing in on the server's page.
    assert set(MastodonConnector.capabilities) == (
        set(CAPABILITIES)
        - {ReplyHider, Reconciler, ResumableStreamer, PublishQuota, RateBudgetReporter}
    ) | {
        AccountVerifier,
        ConfigReader,
        OAuthConnect,
    }
    for capability in MastodonConnector.capabilities:
        assert issubclass(MastodonConnector, capability)


def test_rules_come_from_the_instance_stored_with_the_channel(api):
    from kalrav.connectors.networks.mastodon import mapping

    instance = mapping.instance_config(payloads.instance_v2(max_characters=5000))
    connector = make_connector(instance=instance)
    assert connector.rules.max_length == 5000
    assert connector.validate(OutgoingPost("x" * 4000)) == []


# --- Account -------------------------------------------------------------------------------------


def test_verify_returns_the_account_and_sends_the_token(api, connector):
    route = api.get("/api/v1/accounts/verify_credentials").respond(200, json=payloads.account())
    account = connector.verify()
    assert account == Author(
        remote_id=payloads.OWN_ID,
        handle="acmetea",
        display_name="Acmetea",
        url=f"{payloads.INSTANCE}/@acmetea",
        avatar_url=payloads.account()["avatar"],
    )
    headers = route.calls.last.request.headers
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert headers["User-Agent"].startswith("Kalrav")


def test_read_config_keeps_the_limits_the_rules_need(api, connector):
    api.get("/api/v2/instance/").respond(200, json=payloads.instance_v2(max_characters=1000))
    config = connector.read_config()
    assert config["instance"]["configuration"]["statuses"]["max_characters"] == 1000
    assert config["instance"]["configuration"]["urls"]["streaming"].startswith("wss://")
    assert "registrations" not in config["instance"]
    json.dumps(config)  # stored as JSON in the channel


def test_read_config_falls_back_to_v1_on_older_servers(api, connector):
    api.get("/api/v2/instance/").respond(404, json={"error": "Record not found"})
    api.get("/api/v1/instance/").respond(200, json=payloads.instance_v1(max_toot_chars=5000))
    instance = connector.read_config()["instance"]
    assert instance["max_toot_chars"] == 5000
    assert make_connector(instance=instance).rules.max_length == 5000


# --- Validate ------------------------------------------------------------------------------------


def test_content_warning_counts_towards_the_limit(connector):
    text = "চা" * 480  # 480 grapheme clusters (960 code points): fits alone
    assert connector.validate(OutgoingPost(text)) == []
    problems = connector.validate(
        OutgoingPost(text, options={"spoiler_text": "Politics, a long rant"})
    )
    assert [p.code for p in problems] == ["too_long"]


def test_validate_refuses_unknown_visibility_and_too_many_poll_options(connector):
    post = OutgoingPost(
        "Which tea?", poll=Poll(("a", "b", "c", "d", "e")), options={"visibility": "friends"}
    )
    codes = {p.code for p in connector.validate(post)}
    assert codes == {"visibility", "poll_options"}


def test_validate_checks_media_against_the_instance(connector):
    tiff = MediaItem(MediaKind.IMAGE, "image/tiff", 100, 4, 4, source="m/a.tiff")
    problems = connector.validate(OutgoingPost("", media=(tiff,)))
    assert [(p.code, p.target) for p in problems] == [("media_type", "media[0]")]


# --- Publish -------------------------------------------------------------------------------------


def test_publish_uploads_media_with_alt_text_then_posts_with_cw_and_key(api, connector, opened):
    upload = api.post("/api/v2/media").respond(
        200, json=payloads.media("22", description="A cup of chai")
    )
    post_route = statuses_route(
        api, payloads.status("110", "<p>New blend</p>", spoiler_text="Caffeine")
    )
    ref = connector.publish(
        OutgoingPost(
            "New blend",
            media=(PNG,),
            language="en",
            options={"spoiler_text": "Caffeine", "visibility": "unlisted", "sensitive": True},
        ),
        idempotency_key="variant-41-a",
    )
    assert ref.remote_id == "110"
    assert ref.url == f"{payloads.INSTANCE}/@acmetea/110"
    assert ref.published_at == datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    assert opened == ["m/a.png"]
    multipart = upload.calls.last.request.content
    assert b"A cup of chai" in multipart and b'filename="a.png"' in multipart
    request = post_route.calls.last.request
    assert request.headers["Idempotency-Key"] == "variant-41-a"
    body = sent(post_route)
    assert body["status"] == ["New blend"]
    assert body["media_ids"] == ["22"]
    assert body["spoiler_text"] == ["Caffeine"]
    assert body["visibility"] == ["unlisted"]
    assert body["language"] == ["en"]
    assert body["sensitive"] == ["1"]


def test_publish_a_thread_with_a_poll_and_a_first_comment(api, connector):
    route = statuses_route(
        api,
        payloads.status("110"),
        payloads.status("111", in_reply_to_id="110"),
        payloads.status("112", in_reply_to_id="111"),
        payloads.status("113", in_reply_to_id="110"),
    )
    post = OutgoingPost(
        "1/3 Our tea story",
        thread=(
            OutgoingPost(
                "2/3 Which do you drink?", poll=Poll(("Chai", "Green"), timedelta(hours=6))
            ),
            OutgoingPost("3/3 Thanks!"),
        ),
        first_comment="Shop: https://acme.example",
    )
    ref = connector.publish(post, idempotency_key="v9")
    assert ref.remote_id == "110"
    assert ref.extra == {"thread": "111,112", "first_comment": "113"}
    keys = [call.request.headers["Idempotency-Key"] for call in route.calls]
    assert keys == ["v9", "v9:1", "v9:2", "v9:first-comment"]
    assert "in_reply_to_id" not in sent(route, 0)
    poll_part = sent(route, 1)  # a poll goes as JSON
    assert poll_part["in_reply_to_id"] == "110"
    assert poll_part["poll"] == {
        "options": ["Chai", "Green"],
        "expires_in": 21600,
        "multiple": False,
        "hide_totals": False,
    }
    assert sent(route, 2)["in_reply_to_id"] == ["111"]
    assert sent(route, 3)["in_reply_to_id"] == ["110"]


def test_publish_waits_for_media_processing(api, connector):
    api.post("/api/v2/media").respond(202, json=payloads.media("23", processed=False))
    polled = api.get("/api/v1/media/23").mock(
        side_effect=[
            httpx.Response(206, json=payloads.media("23", processed=False)),
            httpx.Response(200, json=payloads.media("23")),
        ]
    )
    statuses_route(api, payloads.status("120"))
    video = MediaItem(MediaKind.VIDEO, "video/mp4", 10_000, 640, 360, 3.0, source="m/v.mp4")
    assert connector.publish(OutgoingPost("clip", media=(video,)), idempotency_key="k").remote_id
    assert polled.call_count == 2


def test_media_that_never_finishes_is_transient(api, connector):
    api.post("/api/v2/media").respond(202, json=payloads.media("23", processed=False))
    api.get("/api/v1/media/23").respond(206, json=payloads.media("23", processed=False))
    with pytest.raises(Transient):
        connector.publish(OutgoingPost("clip", media=(PNG,)), idempotency_key="k")
    assert all(call.request.url.path != "/api/v1/statuses" for call in api.calls)


# --- Delete --------------------------------------------------------------------------------------


def test_delete_removes_the_thread_last_part_first(api, connector):
    deleted = []

    def remember(request, status_id):
        deleted.append(status_id)
        return httpx.Response(200, json=payloads.status(status_id))

    api.delete(path__regex=r"/api/v1/statuses/(?P<status_id>\d+)").mock(side_effect=remember)
    ref = PublishedRef("110", extra={"thread": "111,112", "first_comment": "113"})
    connector.delete(ref, idempotency_key="d")
    assert deleted == ["112", "111", "113", "110"]


def test_deleting_what_is_already_gone_succeeds(api, connector):
    api.delete("/api/v1/statuses/110").respond(404, json={"error": "Record not found"})
    api.get("/api/v1/statuses/110").respond(404, json={"error": "Record not found"})
    connector.delete(PublishedRef("110"), idempotency_key="d")


def test_delete_refused_for_a_status_that_exists_is_rejected(api, connector):
    api.delete("/api/v1/statuses/110").respond(403, json={"error": "This action is not allowed"})
    api.get("/api/v1/statuses/110").respond(200, json=payloads.status("110"))
    with pytest.raises(Rejected, match="not allowed"):
        connector.delete(PublishedRef("110"), idempotency_key="d")


# --- Inbox ---------------------------------------------------------------------------------------


def _inbox_routes(api, notifications, conversations):
    return (
        api.get("/api/v1/notifications").respond(200, json=notifications),
        api.get("/api/v1/conversations/").respond(200, json=conversations),
    )


def test_fetch_inbox_sorts_mentions_replies_and_direct_messages(api, connector):
    mention = payloads.status(
        "205",
        '<p><span class="h-card"><a href="x">@<span>acmetea</span></a></span> hi!</p>',
        by=FAN,
    )
    reply = payloads.status(
        "206",
        "<p>Loved it<br>thanks &amp; more</p>",
        by=FAN,
        in_reply_to_id="110",
        in_reply_to_account_id=payloads.OWN_ID,
    )
    direct = payloads.status("207", "<p>psst</p>", by=FAN, visibility="direct")
    stranger_dm = payloads.status("208", "<p>hello?</p>", by=FAN, visibility="direct")
    own_dm = payloads.status("209", "<p>our answer</p>", visibility="direct")
    notes, _conversations = _inbox_routes(
        api,
        [
            payloads.notification("903", status_=direct),
            payloads.notification("902", status_=reply),
            payloads.notification("901", status_=mention),
        ],
        [
            payloads.conversation("41", stranger_dm),  # filtered from notifications, still here
            payloads.conversation("42", direct),
            payloads.conversation("43", own_dm),
        ],
    )
    page = connector.fetch_inbox(None)
    assert [(item.remote_id, item.kind) for item in page.items] == [
        ("205", ItemKind.MENTION),
        ("206", ItemKind.REPLY),
        ("207", ItemKind.DIRECT_MESSAGE),
        ("208", ItemKind.DIRECT_MESSAGE),
    ]
    replied = page.items[1]
    assert replied.text == "Loved it\nthanks & more"
    assert replied.parent_id == "110"
    assert replied.author.handle == "fan@other.example"
    assert page.items[0].text == "@acmetea hi!"
    assert parse_qs(notes.calls.last.request.url.query.decode())["types[]"] == ["mention"]
    assert json.loads(page.cursor.value) == {"notifications": "903", "conversations": "209"}


def test_fetch_inbox_continues_from_the_cursor_without_gaps(api, connector):
    notes, convs = _inbox_routes(api, [], [])
    cursor = Cursor(json.dumps({"notifications": "903", "conversations": "209"}))
    page = connector.fetch_inbox(cursor)
    assert page.items == ()
    assert notes.calls.last.request.url.params["min_id"] == "903"
    assert convs.calls.last.request.url.params["min_id"] == "209"
    assert json.loads(page.cursor.value) == {"notifications": "903", "conversations": "209"}


def test_fetch_inbox_reads_every_page_after_the_cursor(api, connector):
    first = [
        payloads.notification(str(1000 + n), status_=payloads.status(str(5000 + n), by=FAN))
        for n in range(40)
    ]
    second = [payloads.notification("1040", status_=payloads.status("5040", by=FAN))]
    notes = api.get("/api/v1/notifications").mock(
        side_effect=[httpx.Response(200, json=first), httpx.Response(200, json=second)]
    )
    api.get("/api/v1/conversations/").respond(200, json=[])
    page = connector.fetch_inbox(Cursor(json.dumps({"notifications": "999"})))
    assert len(page.items) == 41
    assert [c.request.url.params["min_id"] for c in notes.calls] == ["999", "1039"]
    assert json.loads(page.cursor.value)["notifications"] == "1040"


def _incoming(kind: ItemKind, remote_id: str = "206") -> IncomingItem:
    return IncomingItem(
        kind=kind,
        remote_id=remote_id,
        author=Author(payloads.FAN_ID, handle="fan@other.example"),
        text="question",
        created_at=datetime(2026, 11, 23, tzinfo=UTC),
    )


def test_reply_mentions_the_author_and_is_never_more_public_than_the_question(api, connector):
    api.get("/api/v1/statuses/206").respond(
        200, json=payloads.status("206", by=FAN, visibility="private")
    )
    route = statuses_route(api, payloads.status("300", in_reply_to_id="206"))
    ref = connector.reply(
        _incoming(ItemKind.REPLY), OutgoingPost("Thank you!"), idempotency_key="reply-1"
    )
    assert ref.remote_id == "300"
    body = sent(route)
    assert body["status"] == ["@fan@other.example Thank you!"]
    assert body["in_reply_to_id"] == ["206"]
    assert body["visibility"] == ["private"]
    assert route.calls.last.request.headers["Idempotency-Key"] == "reply-1"


def test_reply_to_a_direct_message_stays_direct(api, connector):
    route = statuses_route(api, payloads.status("301", visibility="direct"))
    connector.reply(
        _incoming(ItemKind.DIRECT_MESSAGE, "207"),
        OutgoingPost("@fan@other.example sure", options={"visibility": "public"}),
        idempotency_key="reply-2",
    )
    body = sent(route)
    assert body["status"] == ["@fan@other.example sure"]  # already mentioned: not twice
    assert body["visibility"] == ["direct"]


# --- Insights ------------------------------------------------------------------------------------


def test_post_metrics_read_each_status_and_skip_deleted_ones(api, connector):
    api.get("/api/v1/statuses/110").respond(
        200,
        json=payloads.status("110", favourites_count=12, reblogs_count=3, replies_count=4),
    )
    api.get("/api/v1/statuses/111").respond(404, json={"error": "Record not found"})
    rows = connector.post_metrics([PublishedRef("110"), PublishedRef("111")])
    assert {(r.remote_id, r.metric, r.value) for r in rows} == {
        ("110", "likes", 12),
        ("110", "reposts", 3),
        ("110", "replies", 4),
    }


def test_channel_metrics_from_the_account(api, connector):
    api.get("/api/v1/accounts/verify_credentials").respond(200, json=payloads.account())
    rows = {row.metric: row.value for row in connector.channel_metrics()}
    assert rows == {"followers": 1204, "following": 87, "posts": 311}


# --- Listening -----------------------------------------------------------------------------------


def test_a_hashtag_reads_the_tag_timeline_from_the_cursor(api, connector):
    route = api.get("/api/v1/timelines/tag/chai").respond(
        200, json=[payloads.status("402", by=FAN), payloads.status("401", by=FAN)]
    )
    page = connector.search("#chai", Cursor("400"))
    assert [item.remote_id for item in page.items] == ["401", "402"]
    assert all(item.kind == ItemKind.MENTION for item in page.items)
    assert route.calls.last.request.url.params["min_id"] == "400"
    assert page.cursor == Cursor("402")


def test_keywords_use_full_text_search_without_resolving_remote_urls(api, connector):
    route = api.get("/api/v2/search").respond(
        200, json={"accounts": [], "hashtags": [], "statuses": [payloads.status("77", by=FAN)]}
    )
    page = connector.search("acme tea -coffee", None)
    assert [item.remote_id for item in page.items] == ["77"]
    params = route.calls.last.request.url.params
    assert params["q"] == "acme tea -coffee"
    assert params["type"] == "statuses"
    assert params.get("resolve", "false") in ("0", "false")  # Mastodon's default is false
    assert page.cursor == Cursor("77")


def test_an_empty_search_keeps_the_cursor(api, connector):
    api.get("/api/v2/search").respond(200, json={"accounts": [], "hashtags": [], "statuses": []})
    assert connector.search("acme", Cursor("77")).cursor == Cursor("77")


# --- Errors --------------------------------------------------------------------------------------

ERRORS = [
    pytest.param(
        httpx.Response(401, json={"error": "The access token is invalid"}),
        AuthExpired,
        "access token is invalid",
        id="401",
    ),
    pytest.param(
        httpx.Response(403, json={"error": "The access token was revoked"}),
        AuthExpired,
        "revoked",
        id="403-token",
    ),
    pytest.param(
        httpx.Response(
            422, json={"error": "Validation failed: Text character limit of 500 exceeded"}
        ),
        Rejected,
        "Validation failed: Text character limit of 500 exceeded",
        id="422",
    ),
    pytest.param(
        httpx.Response(500, json={"error": "We're sorry, but something went wrong"}),
        Transient,
        "500",
        id="500",
    ),
    pytest.param(httpx.ReadTimeout("slow"), Transient, "timed out", id="timeout"),
]


@pytest.mark.parametrize(("answer", "error", "words"), ERRORS)
def test_publish_errors_are_typed(api, connector, answer, error, words):
    route = api.post("/api/v1/statuses").mock(side_effect=[answer])
    with pytest.raises(error, match=words) as raised:
        connector.publish(OutgoingPost("hello"), idempotency_key="k")
    assert route.call_count == 1  # a POST is never retried by the client: the publisher decides
    assert TOKEN not in str(raised.value)


@pytest.mark.parametrize(("answer", "error", "words"), ERRORS)
def test_read_errors_are_typed_after_retries(api, connector, answer, error, words):
    route = api.get("/api/v1/accounts/verify_credentials")
    if isinstance(answer, Exception):
        route.mock(side_effect=answer)
    else:
        route.mock(return_value=answer)
    with pytest.raises(error, match=words):
        connector.verify()
    assert route.call_count == (3 if error is Transient else 1)


def test_rate_limit_with_reset_says_when_to_come_back(api, connector):
    reset = datetime.now(UTC) + timedelta(minutes=5)
    api.post("/api/v1/statuses").respond(
        429,
        json={"error": "Too many requests"},
        headers={
            "X-RateLimit-Limit": "300",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": reset.isoformat().replace("+00:00", "Z"),
        },
    )
    with pytest.raises(RateLimited) as raised:
        connector.publish(OutgoingPost("hello"), idempotency_key="k")
    assert raised.value.retry_after == pytest.approx(300, abs=5)


def test_rate_limit_without_reset_leaves_the_wait_to_the_caller(api, connector):
    api.get("/api/v1/notifications").respond(429, json={"error": "Too many requests"})
    with pytest.raises(RateLimited) as raised:
        connector.fetch_inbox(None)
    assert raised.value.retry_after is None


def test_a_success_that_is_not_json_is_transient(api, connector):
    api.get("/api/v1/accounts/verify_credentials").respond(
        200, text="<html>Maintenance</html>", headers={"Content-Type": "text/html"}
    )
    with pytest.raises(Transient):
        connector.verify()


def test_a_private_instance_address_is_refused():
    from kalrav.connectors.base import ConnectorContext
    from kalrav.connectors.errors import BlockedAddress

    connector = MastodonConnector(
        ConnectorContext(1, config={"instance_url": "http://10.0.0.5"}, credentials={})
    )
    with pytest.raises(BlockedAddress):
        connector.verify()
