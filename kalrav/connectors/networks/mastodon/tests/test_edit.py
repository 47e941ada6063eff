"""Editing a published status (PUT /api/v1/statuses/:id) against documented responses: the new
text goes out with the status's media, poll and content warning sent back as they were, since an
edit that leaves them out removes them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from kalrav.connectors.base import Editor, OutgoingPost, PublishedRef
from kalrav.connectors.errors import Rejected
from kalrav.connectors.networks.mastodon.connector import MastodonConnector
from kalrav.connectors.networks.mastodon.tests import payloads
from kalrav.connectors.networks.mastodon.tests.test_connector import sent

REF = PublishedRef("110", "https://m.example/@acmetea/110", extra={"thread": "111"})


def test_mastodon_is_an_editor():
    assert Editor in MastodonConnector.capabilities
    assert issubclass(MastodonConnector, Editor)


def test_edit_sends_the_new_text_and_keeps_media_and_warning(api, connector):
    current = payloads.status(
        "110",
        spoiler_text="Tea talk",
        media_attachments=[{"id": "901", "type": "image"}, {"id": "902", "type": "image"}],
    )
    api.get("/api/v1/statuses/110").respond(200, json=current)
    route = api.put("/api/v1/statuses/110").mock(
        return_value=httpx.Response(
            200,
            json=payloads.status(
                "110", "<p>Chai at seven</p>", edited_at="2026-11-23T10:00:00.000Z"
            ),
        )
    )
    ref = connector.edit(REF, OutgoingPost("Chai at seven"), idempotency_key="k:edit:1")
    body = sent(route)
    assert body["status"] in ("Chai at seven", ["Chai at seven"])
    assert body["media_ids"] == ["901", "902"]
    assert body["spoiler_text"] in ("Tea talk", ["Tea talk"])
    assert ref.remote_id == "110" and ref.extra == {"thread": "111"}


def test_edit_keeps_an_open_poll(api, connector):
    closes = (datetime.now(UTC) + timedelta(hours=5)).isoformat().replace("+00:00", "Z")
    poll = {
        "id": "34",
        "expires_at": closes,
        "expired": False,
        "multiple": True,
        "votes_count": 9,
        "options": [
            {"title": "Assam", "votes_count": 5},
            {"title": "Darjeeling", "votes_count": 4},
        ],
    }
    api.get("/api/v1/statuses/110").respond(200, json=payloads.status("110", poll=poll))
    route = api.put("/api/v1/statuses/110").respond(200, json=payloads.status("110"))
    connector.edit(REF, OutgoingPost("Which tea?"), idempotency_key="k")
    body = sent(route)
    options = body.get("poll[options]") or (body.get("poll") or {}).get("options")
    assert options == ["Assam", "Darjeeling"]
    expires = body.get("poll[expires_in]") or [(body.get("poll") or {}).get("expires_in")]
    assert 4 * 3600 < int(expires[0]) <= 5 * 3600


def test_edit_refuses_when_a_closed_poll_would_be_lost(api, connector):
    poll = {"id": "34", "expires_at": "2020-01-01T00:00:00.000Z", "expired": True, "options": []}
    api.get("/api/v1/statuses/110").respond(200, json=payloads.status("110", poll=poll))
    with pytest.raises(Rejected, match="poll has closed"):
        connector.edit(REF, OutgoingPost("Which tea?"), idempotency_key="k")


def test_edit_refused_by_the_server_carries_its_words(api, connector):
    api.get("/api/v1/statuses/110").respond(200, json=payloads.status("110"))
    api.put("/api/v1/statuses/110").respond(
        422, json={"error": "Validation failed: Text character limit of 500 exceeded"}
    )
    with pytest.raises(Rejected, match="character limit of 500"):
        connector.edit(REF, OutgoingPost("x"), idempotency_key="k")


def test_text_over_the_limit_is_refused_before_asking(api, connector):
    with pytest.raises(Rejected, match="Too long"):
        connector.edit(REF, OutgoingPost("x" * 501), idempotency_key="k")
    assert not api.calls
