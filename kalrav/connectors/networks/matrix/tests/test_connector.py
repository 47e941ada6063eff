"""The Matrix connector against respx fakes of the Client-Server API: every method, every error."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import respx

from kalrav.connectors import registry
from kalrav.connectors.account import AccountVerifier
from kalrav.connectors.base import (
    Author,
    ConnectorContext,
    Cursor,
    InboxReader,
    IncomingItem,
    ItemKind,
    ItemRef,
    MediaItem,
    MediaKind,
    OutgoingPost,
    PublishedRef,
    Publisher,
)
from kalrav.connectors.checks import check_connectors
from kalrav.connectors.errors import (
    AuthExpired,
    BlockedAddress,
    RateLimited,
    Rejected,
    Transient,
)
from kalrav.connectors.networks.matrix.client import new_http
from kalrav.connectors.networks.matrix.connector import MatrixConnector
from kalrav.connectors.networks.matrix.content import transaction_id
from kalrav.connectors.networks.matrix.tests.fakes import (
    ALIAS,
    BRAND,
    CLIENT,
    FAN,
    HOMESERVER,
    PUBLIC,
    ROOM,
    ROOM_PATH,
    error,
    member,
    message,
)

MATRIX = "kalrav.connectors.networks.matrix.connector.MatrixConnector"
PNG = b"\x89PNG\r\n\x1a\nfake"


@pytest.fixture(autouse=True)
def api():
    with respx.mock(assert_all_called=False) as router:
        yield router


def connector(room: str = ROOM, **http_options) -> MatrixConnector:
    context = ConnectorContext(
        channel_id=7,
        config={"homeserver_url": HOMESERVER, "user_id": BRAND, "room": room},
        credentials={"access_token": "syt_secret"},
    )
    http = new_http(
        HOMESERVER,
        "syt_secret",
        resolver=lambda host, port: [PUBLIC],
        sleep=lambda seconds: None,
        **http_options,
    )
    return MatrixConnector(context, http=http, read_media=lambda item: PNG)


def sent(route) -> dict:
    return json.loads(route.calls.last.request.content)


def send_route(api, event_type="m.room.message", event_id="$ev1"):
    return api.put(url__regex=rf"{CLIENT}/rooms/{ROOM_PATH}/send/{event_type}/.+").respond(
        200, json={"event_id": event_id}
    )


# --- declaration and registration ----------------------------------------------------------------


def test_registered_it_passes_the_system_check():
    registry.reset({**registry.CONNECTORS, "matrix": MATRIX})
    try:
        assert registry.get("matrix") is MatrixConnector
        assert [e for e in check_connectors() if "'matrix'" in e.msg] == []
    finally:
        registry.reset()


def test_declares_what_it_can_do():
    assert issubclass(MatrixConnector, Publisher)
    assert issubclass(MatrixConnector, InboxReader)
    assert isinstance(connector(), AccountVerifier)
    secret = [field.name for field in MatrixConnector.settings_fields if field.secret]
    assert secret == ["access_token"]
    assert "syt_secret" not in repr(connector().context)


# --- verify --------------------------------------------------------------------------------------


def verify_routes(api, *, joined=(ROOM,), encryption=404):
    api.get(f"{CLIENT}/account/whoami").respond(200, json={"user_id": BRAND, "device_id": "KALRAV"})
    api.get(f"{CLIENT}/directory/room/%23chai-lovers%3Aexample.org").respond(
        200, json={"room_id": ROOM, "servers": ["example.org"]}
    )
    api.get(f"{CLIENT}/joined_rooms").respond(200, json={"joined_rooms": list(joined)})
    state = api.get(f"{CLIENT}/rooms/{ROOM_PATH}/state/m.room.encryption/")
    if encryption == 404:
        state.respond(404, json=error("M_NOT_FOUND", "Event not found."))
    else:
        state.respond(200, json={"algorithm": "m.megolm.v1.aes-sha2"})
    api.get(f"{CLIENT}/profile/%40chai-house%3Aexample.org").respond(
        200, json={"displayname": "Chai House", "avatar_url": "mxc://example.org/abc"}
    )


def test_verify_names_the_account_and_resolves_the_alias(api):
    verify_routes(api)
    account = connector(room=ALIAS).verify()
    assert (account.remote_id, account.display_name) == (BRAND, "Chai House")
    assert account.url == "https://matrix.to/#/@chai-house:example.org"
    assert api.calls[0].request.headers["Authorization"] == "Bearer syt_secret"


def test_verify_refuses_a_token_of_another_account(api):
    api.get(f"{CLIENT}/account/whoami").respond(200, json={"user_id": FAN})
    with pytest.raises(Rejected, match=r"belongs to @asha:example\.org"):
        connector().verify()


def test_verify_refuses_a_room_not_joined(api):
    verify_routes(api, joined=("!other:example.org",))
    with pytest.raises(Rejected, match="has not joined"):
        connector().verify()


def test_verify_refuses_an_encrypted_room(api):
    verify_routes(api, encryption=200)
    with pytest.raises(Rejected, match="encrypted"):
        connector().verify()


def test_an_unknown_alias_is_a_rejection_naming_it(api):
    api.get(f"{CLIENT}/directory/room/%23chai-lovers%3Aexample.org").respond(
        404, json=error("M_NOT_FOUND", "Room alias #chai-lovers:example.org not found")
    )
    with pytest.raises(Rejected, match=r"#chai-lovers:example\.org cannot be found"):
        connector(room=ALIAS).room_id()


# --- publish, delete -----------------------------------------------------------------------------


def test_publish_text_sends_plain_and_html_bodies_under_a_key_derived_txn(api):
    route = send_route(api)
    ref = connector().publish(
        OutgoingPost("Tea & talk <today> with @asha:example.org"), idempotency_key="variant-9"
    )
    assert route.calls.last.request.url.path.endswith("/" + transaction_id("variant-9", 0))
    content = sent(route)
    assert content["body"] == "Tea & talk <today> with @asha:example.org"
    assert content["formatted_body"] == (
        'Tea &amp; talk &lt;today&gt; with <a href="https://matrix.to/#/@asha:example.org">'
        "@asha:example.org</a>"
    )
    assert content["m.mentions"] == {"user_ids": [FAN]}
    assert ref.remote_id == "$ev1"
    assert ref.url == "https://matrix.to/#/%21aBcDeF%3Aexample.org/%24ev1"
    assert ref.extra["room_id"] == ROOM


def test_the_same_key_gives_the_same_transaction_ids(api):
    route = send_route(api)
    connector().publish(OutgoingPost("Once"), idempotency_key="variant-9")
    connector().publish(OutgoingPost("Once"), idempotency_key="variant-9")
    connector().publish(OutgoingPost("Once"), idempotency_key="variant-10")
    paths = [call.request.url.path for call in route.calls]
    assert paths[0] == paths[1] != paths[2]


def test_publish_image_uploads_then_sends_m_image_with_alt_text_as_body(api):
    upload = api.post(f"{HOMESERVER}/_matrix/media/v3/upload").respond(
        200, json={"content_uri": "mxc://example.org/Tea"}
    )
    route = api.put(url__regex=rf"{CLIENT}/rooms/{ROOM_PATH}/send/m.room.message/.+")
    route.side_effect = [
        httpx.Response(200, json={"event_id": "$text"}),
        httpx.Response(200, json={"event_id": "$image"}),
    ]
    image = MediaItem(
        MediaKind.IMAGE, "image/png", 12, 40, 30, alt_text="চায়ের কাপ", source="/m/tea.png"
    )
    ref = connector().publish(OutgoingPost("New blend", media=(image,)), idempotency_key="k")
    request = upload.calls.last.request
    assert request.content == PNG
    assert request.headers["Content-Type"] == "image/png"
    assert parse_qs(urlsplit(str(request.url)).query) == {"filename": ["tea.png"]}
    content = json.loads(route.calls[1].request.content)
    assert content == {
        "msgtype": "m.image",
        "body": "চায়ের কাপ",
        "url": "mxc://example.org/Tea",
        "info": {"mimetype": "image/png", "size": 12, "w": 40, "h": 30},
        "m.mentions": {},
    }
    assert route.calls[1].request.url.path.endswith(transaction_id("k", 1))
    assert (ref.remote_id, ref.extra["event_ids"]) == ("$text", "$text $image")


def test_an_image_without_alt_text_is_described_by_its_file_name(api):
    api.post(f"{HOMESERVER}/_matrix/media/v3/upload").respond(
        200, json={"content_uri": "mxc://example.org/T"}
    )
    route = send_route(api)
    image = MediaItem(MediaKind.IMAGE, "image/jpeg", 12, source="/m/tea.jpg")
    connector().publish(OutgoingPost("", media=(image,)), idempotency_key="k")
    content = sent(route)
    assert (content["body"], content["filename"]) == ("tea.jpg", "tea.jpg")


def test_an_unreadable_file_is_a_rejection(api):
    def missing(item):
        raise FileNotFoundError(item.source)

    made = connector()
    made.read_media = missing
    image = MediaItem(MediaKind.IMAGE, "image/png", 12, source="/gone.png")
    with pytest.raises(Rejected, match="attachment 1 cannot be read"):
        made.publish(OutgoingPost("", media=(image,)), idempotency_key="k")


def test_an_invalid_post_is_refused_before_any_request(api):
    with pytest.raises(Rejected, match="Write some text first"):
        connector().publish(OutgoingPost("  "), idempotency_key="k")
    assert api.calls.call_count == 0


def test_a_reply_to_our_own_post_relates_and_mentions_us(api):
    route = send_route(api)
    parent = PublishedRef("$first", extra={"room_id": ROOM, "sender": BRAND})
    connector().publish(OutgoingPost("Part two", reply_to=parent), idempotency_key="k")
    content = sent(route)
    assert content["m.relates_to"] == {"m.in_reply_to": {"event_id": "$first"}}
    assert content["m.mentions"] == {"user_ids": [BRAND]}


def test_delete_redacts_each_event_and_ignores_what_is_gone(api):
    route = api.put(url__regex=rf"{CLIENT}/rooms/{ROOM_PATH}/redact/.+")
    route.side_effect = [
        httpx.Response(200, json={"event_id": "$r1"}),
        httpx.Response(404, json=error("M_NOT_FOUND", "Event not found.")),
    ]
    ref = PublishedRef("$text", extra={"room_id": ROOM, "event_ids": "$text $image"})
    connector().delete(ref, idempotency_key="del-1")
    paths = [call.request.url.raw_path.decode() for call in route.calls]
    assert paths == [
        f"/_matrix/client/v3/rooms/{ROOM_PATH}/redact/%24text/{transaction_id('del-1', 0)}",
        f"/_matrix/client/v3/rooms/{ROOM_PATH}/redact/%24image/{transaction_id('del-1', 1)}",
    ]


def test_delete_reports_a_refusal(api):
    api.put(url__regex=rf"{CLIENT}/rooms/{ROOM_PATH}/redact/.+").respond(
        403, json=error("M_FORBIDDEN", "You don't have permission to redact events")
    )
    with pytest.raises(Rejected, match="M_FORBIDDEN: You don't have permission"):
        connector().delete(PublishedRef("$x"), idempotency_key="k")


# --- inbox ---------------------------------------------------------------------------------------

PAGE_EVENTS = [
    message("$ours", BRAND, {"msgtype": "m.text", "body": "Which tea?"}),
    message(
        "$reply",
        FAN,
        {
            "msgtype": "m.text",
            "body": "> <@chai-house:example.org> Which tea?\n\nDarjeeling",
            "m.relates_to": {"m.in_reply_to": {"event_id": "$ours"}},
        },
    ),
    message(
        "$mention",
        FAN,
        {
            "msgtype": "m.text",
            "body": "Chai House, open today?",
            "m.mentions": {"user_ids": [BRAND]},
        },
    ),
    message(
        "$legacy",
        FAN,
        {
            "msgtype": "m.text",
            "body": "hi",
            "format": "org.matrix.custom.html",
            "formatted_body": '<a href="https://matrix.to/#/@chai-house:example.org">Chai</a> hi',
        },
    ),
    message(
        "$edit",
        FAN,
        {
            "msgtype": "m.text",
            "body": "* hi!",
            "m.relates_to": {"rel_type": "m.replace", "event_id": "$legacy"},
        },
    ),
    message("$redacted", FAN, {}),
    message(
        "$thread",
        FAN,
        {
            "msgtype": "m.text",
            "body": "in the thread",
            "m.relates_to": {
                "rel_type": "m.thread",
                "event_id": "$root",
                "is_falling_back": True,
                "m.in_reply_to": {"event_id": "$latest"},
            },
        },
    ),
    message("$chatter", FAN, {"msgtype": "m.text", "body": "hello all", "m.mentions": {}}),
]


def test_first_inbox_read_takes_the_latest_messages_and_a_cursor_at_the_present(api):
    route = api.get(f"{CLIENT}/rooms/{ROOM_PATH}/messages").respond(
        200,
        json={
            "chunk": list(reversed(PAGE_EVENTS)),  # dir=b: newest first
            "start": "t10-20_0",
            "end": "t1-2_0",
            "state": [member(FAN, "Asha")],
        },
    )
    page = connector().fetch_inbox(None)
    query = parse_qs(urlsplit(str(route.calls.last.request.url)).query)
    assert query["dir"] == ["b"]
    assert json.loads(query["filter"][0])["types"] == ["m.room.message"]
    assert page.cursor == Cursor("t10-20_0")
    kinds = [(item.remote_id, item.kind, item.parent_id, item.root_id) for item in page.items]
    assert kinds == [
        ("$reply", ItemKind.REPLY, "$ours", ""),
        ("$mention", ItemKind.MENTION, "", ""),
        ("$legacy", ItemKind.MENTION, "", ""),
        ("$thread", ItemKind.REPLY, "$root", "$root"),
        ("$chatter", ItemKind.COMMENT, "", ""),
    ]
    reply = page.items[0]
    assert reply.text == "Darjeeling"  # the quoted fallback is not the fan's words
    assert reply.author == Author(FAN, FAN, "Asha", "https://matrix.to/#/@asha:example.org")
    assert reply.created_at.year == 2026
    assert reply.url == "https://matrix.to/#/%21aBcDeF%3Aexample.org/%24reply"


def test_inbox_reads_forward_from_the_cursor_until_the_present(api):
    route = api.get(f"{CLIENT}/rooms/{ROOM_PATH}/messages")
    route.side_effect = [
        httpx.Response(
            200, json={"chunk": PAGE_EVENTS[1:3], "start": "s5", "end": "t7", "state": []}
        ),
        httpx.Response(200, json={"chunk": [], "start": "t7", "end": "t8"}),  # all filtered out
        httpx.Response(200, json={"chunk": PAGE_EVENTS[-1:], "start": "t8", "end": "t9"}),
        httpx.Response(200, json={"chunk": [], "start": "t9"}),  # no `end`: the present
    ]
    page = connector().fetch_inbox(Cursor("s5"))
    froms = [parse_qs(urlsplit(str(call.request.url)).query)["from"][0] for call in route.calls]
    assert froms == ["s5", "t7", "t8", "t9"]
    assert [item.remote_id for item in page.items] == ["$reply", "$mention", "$chatter"]
    assert page.cursor == Cursor("t9")


def test_an_empty_inbox_keeps_the_cursor(api):
    api.get(f"{CLIENT}/rooms/{ROOM_PATH}/messages").respond(200, json={"chunk": [], "start": "s5"})
    page = connector().fetch_inbox(Cursor("s5"))
    assert (page.items, page.cursor) == ((), Cursor("s5"))


def incoming(**extra) -> IncomingItem:
    from datetime import UTC, datetime

    return IncomingItem(
        kind=ItemKind.MENTION,
        remote_id="$mention",
        author=Author(FAN, FAN),
        text="open today?",
        created_at=datetime(2026, 11, 23, tzinfo=UTC),
        **extra,
    )


def event_route(api, content: dict, event_id: str = "$mention"):
    """GET of the fan's event, which says whether it was written in a thread."""
    path = f"{CLIENT}/rooms/{ROOM_PATH}/event/{event_id.replace('$', '%24')}"
    return api.get(path).respond(200, json=message(event_id, FAN, content))


def test_reply_answers_the_item_and_mentions_its_author(api):
    event_route(api, {"msgtype": "m.text", "body": "open today?"})
    route = send_route(api, event_id="$answer")
    ref = connector().reply(incoming(), OutgoingPost("Yes, till 9"), idempotency_key="r-1")
    content = sent(route)
    assert content["m.relates_to"] == {"m.in_reply_to": {"event_id": "$mention"}}
    assert content["m.mentions"] == {"user_ids": [FAN]}
    assert ref.remote_id == "$answer"


def test_a_reply_to_a_main_timeline_message_stays_in_the_main_timeline(api):
    """The inbox passes the conversation's first item as `root_id` (here the brand's post the
    fan answered in the main timeline); that is no thread, so the answer is no thread either."""
    event_route(
        api,
        {
            "msgtype": "m.text",
            "body": "Is it caffeine free?",
            "m.relates_to": {"m.in_reply_to": {"event_id": "$post"}},
        },
    )
    route = send_route(api)
    connector().reply(
        incoming(root_id="$post", parent_id="$post"), OutgoingPost("No"), idempotency_key="r"
    )
    assert sent(route)["m.relates_to"] == {"m.in_reply_to": {"event_id": "$mention"}}


def test_a_reply_to_a_message_gone_from_view_goes_to_the_main_timeline(api):
    path = f"{CLIENT}/rooms/{ROOM_PATH}/event/%24mention"
    api.get(path).respond(404, json=error("M_NOT_FOUND", "Event not found."))
    route = send_route(api)
    connector().reply(incoming(root_id="$root"), OutgoingPost("Yes"), idempotency_key="r")
    assert sent(route)["m.relates_to"] == {"m.in_reply_to": {"event_id": "$mention"}}


def test_reply_in_a_thread_stays_in_the_thread(api):
    event_route(
        api,
        {
            "msgtype": "m.text",
            "body": "open today?",
            "m.relates_to": {
                "rel_type": "m.thread",
                "event_id": "$root",
                "is_falling_back": True,
                "m.in_reply_to": {"event_id": "$latest"},
            },
        },
    )
    route = send_route(api)
    connector().reply(
        incoming(root_id="$root", parent_id="$root"), OutgoingPost("Yes"), idempotency_key="r"
    )
    assert sent(route)["m.relates_to"] == {
        "m.in_reply_to": {"event_id": "$mention"},
        "rel_type": "m.thread",
        "event_id": "$root",
        "is_falling_back": False,
    }


# --- likes ---------------------------------------------------------------------------------------


def test_like_sends_a_thumbs_up_reaction(api):
    route = send_route(api, "m.reaction", "$like")
    like_id = connector().like(ItemRef("$mention"), idempotency_key="like-1")
    assert sent(route) == {
        "m.relates_to": {"rel_type": "m.annotation", "event_id": "$mention", "key": "👍"}
    }
    assert like_id == "$like"


def test_liking_again_returns_the_existing_reaction(api):
    api.put(url__regex=rf"{CLIENT}/rooms/{ROOM_PATH}/send/m.reaction/.+").respond(
        400, json=error("M_DUPLICATE_ANNOTATION", "Can't send same reaction twice")
    )
    api.get(
        f"{HOMESERVER}/_matrix/client/v1/rooms/{ROOM_PATH}/relations/%24mention/m.annotation/m.reaction"
    ).respond(
        200,
        json={
            "chunk": [
                {
                    "event_id": "$theirs",
                    "sender": FAN,
                    "type": "m.reaction",
                    "content": {"m.relates_to": {"key": "👍", "event_id": "$mention"}},
                },
                {
                    "event_id": "$mine",
                    "sender": BRAND,
                    "type": "m.reaction",
                    "content": {"m.relates_to": {"key": "👍", "event_id": "$mention"}},
                },
            ]
        },
    )
    assert connector().like(ItemRef("$mention"), idempotency_key="like-2") == "$mine"


# --- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "headers", "kind", "retry_after", "words"),
    [
        (401, error("M_UNKNOWN_TOKEN", "Invalid access token passed.", soft_logout=False), {}, AuthExpired, None, "M_UNKNOWN_TOKEN"),
        (401, error("M_MISSING_TOKEN", "Missing access token"), {}, AuthExpired, None, "M_MISSING_TOKEN"),
        (403, error("M_USER_DEACTIVATED", "This account has been deactivated"), {}, AuthExpired, None, "deactivated"),
        (429, error("M_LIMIT_EXCEEDED", "Too Many Requests", retry_after_ms=1500), {}, RateLimited, 1.5, "M_LIMIT_EXCEEDED"),
        (429, error("M_LIMIT_EXCEEDED", "Too Many Requests"), {"Retry-After": "7"}, RateLimited, 7.0, "Too Many"),
        (429, error("M_LIMIT_EXCEEDED", "Too Many Requests"), {}, RateLimited, None, "Too Many"),
        (403, error("M_FORBIDDEN", "User @chai-house:example.org not in room"), {}, Rejected, None, "M_FORBIDDEN: User"),
        (413, error("M_TOO_LARGE", "Event too large"), {}, Rejected, None, "M_TOO_LARGE"),
        (400, error("M_BAD_JSON", "Content not JSON."), {}, Rejected, None, "M_BAD_JSON"),
        (500, error("M_UNKNOWN", "Internal server error"), {}, Transient, None, "M_UNKNOWN"),
        (502, None, {}, Transient, None, "502"),
    ],
)  # fmt: skip
def test_errors_map_to_what_a_retry_can_do(api, status, body, headers, kind, retry_after, words):
    kwargs = {"json": body} if body is not None else {"text": "<html>Bad Gateway</html>"}
    send_route(api).respond(status, headers=headers, **kwargs)
    with pytest.raises(kind, match=words) as caught:
        connector().publish(OutgoingPost("Hello"), idempotency_key="k")
    if kind is RateLimited:
        assert caught.value.retry_after == retry_after


def test_a_timeout_is_transient(api):
    send_route(api).side_effect = httpx.ReadTimeout("slow")
    with pytest.raises(Transient, match="timed out"):
        connector().publish(OutgoingPost("Hello"), idempotency_key="k")


def test_reads_are_retried_after_a_server_error(api):
    route = api.get(f"{CLIENT}/account/whoami")
    route.side_effect = [
        httpx.Response(502, json=error("M_UNKNOWN", "upstream")),
        httpx.Response(200, json={"user_id": BRAND}),
    ]
    assert connector().api.whoami() == {"user_id": BRAND}
    assert route.call_count == 2


def test_writes_are_not_retried_by_the_client(api):
    route = send_route(api).respond(503, json=error("M_UNKNOWN", "busy"))
    with pytest.raises(Transient):
        connector().publish(OutgoingPost("Hello"), idempotency_key="k")
    assert route.call_count == 1  # the publisher retries, with the same transaction id


def test_a_homeserver_on_a_private_address_is_refused(api):
    made = MatrixConnector(
        ConnectorContext(
            channel_id=1,
            config={"homeserver_url": "http://10.0.0.5:8008", "user_id": BRAND, "room": ROOM},
            credentials={"access_token": "t"},
        )
    )
    with pytest.raises(BlockedAddress):
        made.verify()
    assert api.calls.call_count == 0


def test_attachments_are_read_from_media_storage(api, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "tea.png").write_bytes(PNG)
    from kalrav.connectors.networks.matrix.connector import read_from_storage

    assert (
        read_from_storage(MediaItem(MediaKind.IMAGE, "image/png", 12, source="media/tea.png"))
        == PNG
    )
    made = MatrixConnector(connector().context, http=connector().api.http)
    outside = MediaItem(MediaKind.IMAGE, "image/png", 12, source="/etc/passwd")
    with pytest.raises(Rejected, match="cannot be read"):
        made.publish(OutgoingPost("", media=(outside,)), idempotency_key="k")
