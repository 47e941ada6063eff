"""Reactions and redactions against respx fakes of the Client-Server API (m.reaction
annotations, PUT /rooms/{roomId}/redact/{eventId}/{txnId}, the relations endpoint). Live twins:
tests/peers/test_matrix_live.py."""

from __future__ import annotations

import httpx
import pytest
import respx

from kalrav.connectors.base import ItemRef, Moderation, Moderator
from kalrav.connectors.errors import Rejected
from kalrav.connectors.networks.matrix.connector import MatrixConnector
from kalrav.connectors.networks.matrix.content import transaction_id
from kalrav.connectors.networks.matrix.tests.fakes import BRAND, CLIENT, FAN, ROOM_PATH, error
from kalrav.connectors.networks.matrix.tests.test_connector import connector


@pytest.fixture(autouse=True)
def api():
    with respx.mock(assert_all_called=False) as router:
        yield router


REDACT = rf"{CLIENT}/rooms/{ROOM_PATH}/redact/.+"
RELATIONS = rf"/_matrix/client/v1/rooms/{ROOM_PATH}/relations/%24mention/m.annotation/m.reaction"


def test_it_is_a_moderator_and_says_what_it_may_do():
    assert issubclass(MatrixConnector, Moderator)
    theirs = ItemRef("$mention", author_id=FAN)
    assert connector().moderation_actions(theirs) == {
        Moderation.LIKE,
        Moderation.UNLIKE,
        Moderation.DELETE,
    }
    assert connector().moderation_actions(ItemRef("$mine", author_id=BRAND)) == {Moderation.DELETE}
    assert connector().moderation_actions(ItemRef("not-an-event")) == set()


def test_unlike_redacts_the_reaction_like_made(api):
    route = api.put(url__regex=REDACT).respond(200, json={"event_id": "$redaction"})
    connector().unlike(ItemRef("$mention", like_id="$like"), idempotency_key="u-1")
    assert route.calls.last.request.url.raw_path.decode() == (
        f"/_matrix/client/v3/rooms/{ROOM_PATH}/redact/%24like/{transaction_id('u-1', 0)}"
    )


def test_unlike_finds_our_reaction_when_kalrav_did_not_make_it(api):
    api.get(url__regex=RELATIONS).respond(
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
                    "event_id": "$elsewhere",
                    "sender": BRAND,
                    "type": "m.reaction",
                    "content": {"m.relates_to": {"key": "👍", "event_id": "$mention"}},
                },
            ]
        },
    )
    route = api.put(url__regex=REDACT).respond(200, json={"event_id": "$redaction"})
    connector().unlike(ItemRef("$mention"), idempotency_key="u-2")
    assert "/redact/%24elsewhere/" in route.calls.last.request.url.raw_path.decode()


def test_unlike_of_what_was_never_liked_sends_nothing(api):
    api.get(url__regex=RELATIONS).respond(200, json={"chunk": []})
    route = api.put(url__regex=REDACT).respond(200, json={"event_id": "$redaction"})
    connector().unlike(ItemRef("$mention"), idempotency_key="u-3")
    assert not route.called


def test_delete_item_redacts_the_event_and_accepts_one_already_gone(api):
    route = api.put(url__regex=REDACT)
    route.side_effect = [
        httpx.Response(200, json={"event_id": "$redaction"}),
        httpx.Response(404, json=error("M_NOT_FOUND", "Event not found.")),
    ]
    connector().delete_item(ItemRef("$spam"), idempotency_key="d-1")
    connector().delete_item(ItemRef("$spam"), idempotency_key="d-1")
    assert "/redact/%24spam/" in route.calls.last.request.url.raw_path.decode()


def test_delete_without_the_power_level_is_refused_in_the_servers_words(api):
    api.put(url__regex=REDACT).respond(
        403, json=error("M_FORBIDDEN", "You don't have permission to redact events")
    )
    with pytest.raises(Rejected, match="M_FORBIDDEN"):
        connector().delete_item(ItemRef("$spam", author_id=FAN), idempotency_key="d-2")
