"""Favouriting and deleting on Mastodon against the documented answers of
POST /api/v1/statuses/:id/favourite, /unfavourite and DELETE /api/v1/statuses/:id. The contract
twin runs against mastodon-mock in tests/peers/test_mastodon_contract.py."""

from __future__ import annotations

import pytest

from kalrav.connectors.base import ItemKind, ItemRef, Moderation
from kalrav.connectors.errors import AuthExpired, Rejected
from kalrav.connectors.networks.mastodon.tests import payloads

FAN = payloads.account(payloads.FAN_ID, "fan", acct="fan@other.example")


def theirs(**extra) -> ItemRef:
    return ItemRef(remote_id="120", kind=ItemKind.REPLY, author_id=payloads.FAN_ID, **extra)


def test_others_statuses_can_be_favourited_and_our_own_deleted(connector):
    assert connector.moderation_actions(theirs()) == {Moderation.LIKE, Moderation.UNLIKE}
    own = ItemRef(remote_id="121", author_id=payloads.OWN_ID)
    assert connector.moderation_actions(own) == {Moderation.DELETE}
    assert connector.moderation_actions(ItemRef(remote_id="122", ours=True)) == {Moderation.DELETE}
    assert connector.moderation_actions(ItemRef(remote_id="")) == set()


def test_like_favourites_the_status(api, connector):
    route = api.post("/api/v1/statuses/120/favourite").respond(
        200, json=payloads.status("120", by=FAN, favourited=True, favourites_count=1)
    )
    assert connector.like(theirs(), idempotency_key="l") == ""
    assert route.called


def test_unlike_unfavourites_the_status(api, connector):
    route = api.post("/api/v1/statuses/120/unfavourite").respond(
        200, json=payloads.status("120", by=FAN, favourited=False)
    )
    connector.unlike(theirs(), idempotency_key="u")
    assert route.called


def test_liking_a_deleted_status_says_so_in_the_servers_words(api, connector):
    api.post("/api/v1/statuses/120/favourite").respond(404, json={"error": "Record not found"})
    with pytest.raises(Rejected, match="Record not found"):
        connector.like(theirs(), idempotency_key="l")


def test_a_revoked_token_asks_for_reconnecting(api, connector):
    api.post("/api/v1/statuses/120/favourite").respond(
        401, json={"error": "The access token was revoked"}
    )
    with pytest.raises(AuthExpired):
        connector.like(theirs(), idempotency_key="l")


def test_delete_item_deletes_our_status_and_accepts_one_already_gone(api, connector):
    route = api.delete("/api/v1/statuses/121").respond(200, json=payloads.status("121"))
    connector.delete_item(ItemRef(remote_id="121", ours=True), idempotency_key="d")
    assert route.called
    api.delete("/api/v1/statuses/122").respond(404, json={"error": "Record not found"})
    api.get("/api/v1/statuses/122").respond(404, json={"error": "Record not found"})
    connector.delete_item(ItemRef(remote_id="122", ours=True), idempotency_key="d")
