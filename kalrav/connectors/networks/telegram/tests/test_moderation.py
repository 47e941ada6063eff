"""Reactions and deletion through the Bot API (setMessageReaction, deleteMessage), answered
with the documented payloads in fixtures/."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from kalrav.connectors.base import ItemKind, ItemRef, Moderation
from kalrav.connectors.errors import AuthExpired, Rejected
from kalrav.connectors.networks.telegram.tests.conftest import GROUP_ID, answer, sent

COMMENT = f"{GROUP_ID}:812"


def comment(**extra) -> ItemRef:
    return ItemRef(remote_id=COMMENT, kind=ItemKind.COMMENT, author_id="5550001", **extra)


def test_what_a_bot_may_do_to_a_message(connector):
    fresh = timezone.now() - timedelta(hours=2)
    old = timezone.now() - timedelta(hours=49)
    assert connector.moderation_actions(comment(created_at=fresh)) == {
        Moderation.LIKE,
        Moderation.UNLIKE,
        Moderation.DELETE,
    }
    assert connector.moderation_actions(comment(created_at=old)) == {
        Moderation.LIKE,
        Moderation.UNLIKE,
    }, "Telegram deletes only messages younger than 48 hours"
    assert connector.moderation_actions(comment(ours=True, created_at=fresh)) == {Moderation.DELETE}
    assert connector.moderation_actions(ItemRef(remote_id="nonsense")) == set()


def test_like_sets_a_thumbs_up_reaction(telegram, connector):
    route = telegram.post("/setMessageReaction").mock(return_value=answer("true"))
    assert connector.like(comment(), idempotency_key="l") == ""
    assert sent(route) == {
        "chat_id": GROUP_ID,
        "message_id": 812,
        "reaction": [{"type": "emoji", "emoji": "👍"}],
    }


def test_unlike_clears_the_bots_reaction(telegram, connector):
    route = telegram.post("/setMessageReaction").mock(return_value=answer("true"))
    connector.unlike(comment(), idempotency_key="u")
    assert sent(route)["reaction"] == []


def test_a_refused_reaction_is_rejected_in_telegrams_words(telegram, connector):
    telegram.post("/setMessageReaction").mock(return_value=answer("error_400_reaction_invalid"))
    with pytest.raises(Rejected, match="REACTION_INVALID"):
        connector.like(comment(), idempotency_key="l")


def test_delete_item_deletes_the_message(telegram, connector):
    route = telegram.post("/deleteMessage").mock(return_value=answer("true"))
    connector.delete_item(comment(), idempotency_key="d")
    assert sent(route) == {"chat_id": str(GROUP_ID), "message_id": 812}


def test_deleting_what_is_already_gone_succeeds(telegram, connector):
    telegram.post("/deleteMessage").mock(return_value=answer("error_400_delete_not_found"))
    connector.delete_item(comment(), idempotency_key="d")


def test_a_bot_without_the_right_gets_telegrams_reason(telegram, connector):
    telegram.post("/deleteMessage").mock(return_value=answer("error_400_cant_delete"))
    with pytest.raises(Rejected, match="message can't be deleted"):
        connector.delete_item(comment(), idempotency_key="d")


def test_a_bot_removed_from_the_group_asks_for_reconnecting(telegram, connector):
    telegram.post("/setMessageReaction").mock(return_value=answer("error_403_kicked"))
    with pytest.raises(AuthExpired):
        connector.like(comment(), idempotency_key="l")
