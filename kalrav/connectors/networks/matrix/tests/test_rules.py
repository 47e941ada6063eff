"""Matrix's one hard limit is the event's size: these tests hold the counter to the exact bytes
the connector sends."""

from __future__ import annotations

import json

import respx
from hypothesis import given, settings
from hypothesis import strategies as st

from kalrav.connectors.base import ConnectorContext, MediaItem, MediaKind, OutgoingPost
from kalrav.connectors.networks.matrix.client import new_http
from kalrav.connectors.networks.matrix.connector import MatrixConnector
from kalrav.connectors.networks.matrix.content import canonical_size
from kalrav.connectors.networks.matrix.rules import (
    ENVELOPE_RESERVE,
    MAX_CONTENT_BYTES,
    MAX_EVENT_BYTES,
    RULES,
    content_bytes,
    measure,
)
from kalrav.connectors.networks.matrix.tests.fakes import BRAND, CLIENT, HOMESERVER, PUBLIC, ROOM
from kalrav.connectors.rules import check


def connector() -> MatrixConnector:
    http = new_http(HOMESERVER, "t", resolver=lambda host, port: [PUBLIC])
    context = ConnectorContext(1, {"homeserver_url": HOMESERVER, "user_id": BRAND, "room": ROOM})
    return MatrixConnector(context, http=http)


def test_the_limit_is_the_event_limit_less_the_envelope():
    assert MAX_EVENT_BYTES == 65_536
    assert RULES.max_length == MAX_CONTENT_BYTES == 65_536 - ENVELOPE_RESERVE


def test_the_count_is_the_size_of_the_content_actually_sent():
    text = 'নমস্কার <b>"chai"</b> & हिंदी ગુજરાતી Ελληνικά 👩🏽‍🍳 https://example.test/a?b=1&c=2.\n@asha:example.org'
    with respx.mock() as api:
        route = api.put(url__regex=rf"{CLIENT}/rooms/.+/send/m.room.message/.+").respond(
            200, json={"event_id": "$e"}
        )
        connector().publish(OutgoingPost(text), idempotency_key="k")
    sent = json.loads(route.calls.last.request.content)
    assert measure(text, MAX_CONTENT_BYTES).length == canonical_size(sent)


def test_indic_and_greek_count_in_utf8_bytes_in_both_bodies():
    empty = content_bytes("x") - 2  # "x" once in body, once in formatted_body
    assert content_bytes("ক্ষ") - empty == 2 * 9  # three code points of three bytes each
    assert content_bytes("ά") - empty == 2 * 2
    assert content_bytes("👩🏽‍🍳") - empty == 2 * 15


def test_html_escaping_counts():
    assert content_bytes("<") - content_bytes("a") == len("&lt;") - 1


def test_a_text_that_just_fits_passes_and_one_more_character_does_not():
    n = (MAX_CONTENT_BYTES - content_bytes("")) // 2
    fits = "a" * n
    assert measure(fits, MAX_CONTENT_BYTES).overflow_at is None
    assert check(fits, RULES).valid
    over = fits + "a"
    assert measure(over, MAX_CONTENT_BYTES).overflow_at == n
    report = check(over, RULES)
    assert [(p.code, p.start, p.end) for p in report.problems] == [("too_long", n, n + 1)]


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(
        alphabet=st.characters(codec="utf-8") | st.sampled_from('<>&"\n:/.@htps'),
        max_size=60,
    ),
    limit=st.integers(0, 400).map(lambda extra: content_bytes("") + extra),
)
def test_the_overflow_point_is_where_the_text_stops_fitting(text, limit):
    # Limits start at the empty message's size: below it no text fits at all.
    measured = measure(text, limit)
    assert measured.length == content_bytes(text)
    if measured.overflow_at is None:
        assert content_bytes(text) <= limit
    else:
        assert (
            content_bytes(text[: measured.overflow_at])
            <= limit
            < content_bytes(text[: measured.overflow_at + 1])
        )


def test_images_alone_make_a_post_and_carry_alt_text():
    image = MediaItem(MediaKind.IMAGE, "image/png", 1000, alt_text="A red teapot")
    assert check("", RULES, [image]).valid
    assert RULES.media.alt_text


def test_an_alt_text_too_big_for_the_event_is_a_problem_on_that_image():
    image = MediaItem(MediaKind.IMAGE, "image/png", 1000, alt_text="ক" * 21_000)
    problems = connector().validate(OutgoingPost("", media=(image,)))
    assert [(p.code, p.target) for p in problems] == [("alt_text_too_long", "media[0]")]


def test_video_is_not_taken():
    video = MediaItem(MediaKind.VIDEO, "video/mp4", 1000)
    assert [p.code for p in check("Watch", RULES, [video]).problems] == ["media_kind_unsupported"]
