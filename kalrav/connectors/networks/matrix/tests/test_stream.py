"""The Matrix stream against respx fakes of /sync: new messages as they come, resumable."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import respx

from kalrav.connectors.base import Cursor, ResumableStreamer, Streamer
from kalrav.connectors.errors import Transient
from kalrav.connectors.networks.matrix.connector import MatrixConnector
from kalrav.connectors.networks.matrix.tests.fakes import (
    BRAND,
    CLIENT,
    FAN,
    ROOM,
    error,
    member,
    message,
)
from kalrav.connectors.networks.matrix.tests.test_connector import connector

QUESTION = message("$q", FAN, {"msgtype": "m.text", "body": "Open on Sunday?"})
THANKS = message("$t", FAN, {"msgtype": "m.text", "body": "Thanks!"})
OURS = message("$o", BRAND, {"msgtype": "m.text", "body": "Yes"})


def batch(next_batch: str, events: list[dict], *, limited: bool = False, state=()) -> dict:
    """A /sync answer shaped as the Client-Server API documents it."""
    return {
        "next_batch": next_batch,
        "rooms": {
            "join": {
                ROOM: {
                    "timeline": {"events": events, "limited": limited, "prev_batch": "p1"},
                    "state": {"events": list(state)},
                }
            }
        },
    }


@pytest.fixture
def api():
    with respx.mock(assert_all_called=False) as router:
        yield router


def query(call) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(str(call.request.url)).query).items()}


def take(count: int, since: Cursor | None, matrix: MatrixConnector | None = None):
    """The first `count` items of the stream, with the resume position after each."""
    matrix = matrix or connector()

    async def run():
        taken = []
        stream = matrix.stream(since)
        async for item in stream:
            taken.append((item, matrix.resume_from()))
            if len(taken) == count:
                break
        await stream.aclose()
        return taken

    return asyncio.run(run())


def test_declares_a_resumable_stream():
    assert issubclass(MatrixConnector, Streamer)
    assert issubclass(MatrixConnector, ResumableStreamer)
    assert Streamer in MatrixConnector.capabilities
    assert ResumableStreamer in MatrixConnector.capabilities


def test_the_stream_resumes_from_a_kept_token_and_says_where_to_resume(api):
    route = api.get(f"{CLIENT}/sync")
    route.side_effect = [
        httpx.Response(
            200,
            json=batch("s2", [QUESTION, OURS, THANKS], state=[member(FAN, "Asha")]),
        ),
        httpx.Response(200, json=batch("s3", [])),
    ]
    taken = take(2, Cursor("s1"))
    asked = query(route.calls[0])
    assert asked["since"] == "s1"
    assert int(asked["timeout"]) > 0  # a long poll: the homeserver answers when something happens
    wanted = json.loads(asked["filter"])
    assert wanted["room"]["rooms"] == [ROOM]
    assert wanted["room"]["timeline"]["types"] == ["m.room.message"]
    assert [(item.remote_id, item.text, item.author.display_name) for item, _ in taken] == [
        ("$q", "Open on Sunday?", "Asha"),
        ("$t", "Thanks!", "Asha"),
    ]
    # Stopped after the first item, a resume reads the batch again; after the last, the next one.
    assert [position for _, position in taken] == [Cursor("s1"), Cursor("s2")]


def test_without_a_token_the_stream_starts_at_the_present(api):
    route = api.get(f"{CLIENT}/sync")
    route.side_effect = [
        httpx.Response(200, json=batch("s9", [QUESTION])),  # the room's past: polling reads it
        httpx.Response(200, json=batch("s10", [THANKS])),
    ]
    taken = take(1, None)
    assert [item.remote_id for item, _ in taken] == ["$t"]
    first, second = (query(call) for call in route.calls)
    assert "since" not in first and first["timeout"] == "0"
    assert second["since"] == "s9"


def test_a_cut_short_batch_is_read_whole_from_the_token(api):
    """More happened during a gap than one /sync holds: the rest comes from /messages."""
    api.get(f"{CLIENT}/sync").respond(200, json=batch("s5", [THANKS], limited=True))
    messages = api.get(url__regex=rf"{CLIENT}/rooms/.+/messages").mock(
        side_effect=[
            httpx.Response(200, json={"chunk": [QUESTION, THANKS], "start": "s1", "end": "t2"}),
            httpx.Response(200, json={"chunk": [], "start": "t2"}),
        ]
    )
    taken = take(2, Cursor("s1"))
    assert query(messages.calls[0])["from"] == "s1"
    assert [item.remote_id for item, _ in taken] == ["$q", "$t"]
    assert taken[-1][1] == Cursor("s5")


def test_a_homeserver_that_goes_away_ends_the_stream_with_a_transient_error(api):
    api.get(f"{CLIENT}/sync").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(Transient):
        take(1, Cursor("s1"))


def test_a_token_the_homeserver_no_longer_knows_starts_the_stream_at_the_present(api):
    route = api.get(f"{CLIENT}/sync")
    route.side_effect = [
        httpx.Response(400, json=error("M_UNKNOWN", "Invalid stream token")),
        httpx.Response(200, json=batch("s9", [QUESTION])),  # the present; its past is not new
        httpx.Response(200, json=batch("s10", [THANKS])),
    ]
    taken = take(1, Cursor("from-an-old-database"))
    assert [item.remote_id for item, _ in taken] == ["$t"]
    assert [query(call).get("since") for call in route.calls] == [
        "from-an-old-database",
        None,
        "s9",
    ]
