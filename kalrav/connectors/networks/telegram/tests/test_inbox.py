"""Connecting (the bot must administer the channel), reading comments and group messages by
getUpdates, replying, the numbers bots can read, and reconciliation from channel-post echoes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kalrav.connectors.account import AccountVerifier
from kalrav.connectors.base import Cursor, ItemKind, OutgoingPost, PublishedRef
from kalrav.connectors.errors import AuthExpired, Rejected
from kalrav.connectors.networks.telegram.connector import TelegramConnector

from .conftest import CHANNEL_ID, GROUP_ID, TOKEN, answer, sent

POSTED = "👨‍👩‍👧 নতুন চা উৎসব! @kalrav_news https://t.me/kalrav_news #চা_উৎসব"


def connectable(telegram, member="getChatMember_administrator", chat="getChat_channel"):
    telegram.get("/getMe").mock(return_value=answer("getMe"))
    telegram.get("/getChat").mock(return_value=answer(chat))
    return telegram.get("/getChatMember").mock(return_value=answer(member))


def test_connector_is_an_account_verifier():
    assert issubclass(TelegramConnector, AccountVerifier)


def test_verify_returns_the_channel(connector, telegram):
    route = connectable(telegram)
    account = connector.verify()
    assert account.remote_id == str(CHANNEL_ID)
    assert account.handle == "@kalrav_news" and account.display_name == "Kalrav News"
    assert account.url == "https://t.me/kalrav_news" and account.avatar_url == ""
    assert sent(route) == {"chat_id": str(CHANNEL_ID), "user_id": "7000000001"}


def test_verify_accepts_a_t_me_link_as_the_chat(make_connector, telegram):
    connectable(telegram)
    make_connector(chat_id="https://t.me/kalrav_news").verify()
    assert telegram.calls[0].request.url.params["chat_id"] == "@kalrav_news"


@pytest.mark.parametrize(
    ("member", "words"),
    [
        ("getChatMember_member", "is not an administrator of Kalrav News"),
        ("getChatMember_administrator_cannot_post", "may not post in Kalrav News"),
    ],
)
def test_a_bot_without_admin_rights_is_refused_clearly(connector, telegram, member, words):
    connectable(telegram, member=member)
    with pytest.raises(AuthExpired) as raised:
        connector.verify()
    assert words in str(raised.value) and "@kalrav_poster_bot" in str(raised.value)


def test_a_private_chat_is_not_a_channel(connector, telegram):
    connectable(telegram, chat="getChat_private")
    with pytest.raises(Rejected, match="private chat"):
        connector.verify()


def test_an_unknown_chat_says_so(connector, telegram):
    telegram.get("/getMe").mock(return_value=answer("getMe"))
    telegram.get("/getChat").mock(return_value=answer("error_400_chat_not_found"))
    with pytest.raises(Rejected, match="chat not found"):
        connector.verify()


def test_a_revoked_token_needs_reconnecting(connector, telegram):
    telegram.get("/getChat").mock(return_value=answer("error_401"))
    with pytest.raises(AuthExpired, match="BotFather"):
        connector.verify()


@pytest.mark.parametrize("value", ["", "kalrav news", "@ab", "https://example.com/x"])
def test_a_chat_setting_that_is_no_chat_is_refused(make_connector, telegram, value):
    with pytest.raises(Rejected):
        make_connector(chat_id=value).verify()
    assert not telegram.calls


# --- Inbox ---------------------------------------------------------------------------------------


def inbox(connector, telegram, since=None):
    telegram.get("/getChat").mock(return_value=answer("getChat_channel"))
    route = telegram.get("/getUpdates").mock(return_value=answer("getUpdates"))
    return connector.read_updates(since), route


def test_comments_replies_group_messages_and_direct_messages(connector, telegram):
    updates, _route = inbox(connector, telegram)
    assert [item.remote_id for item in updates.page.items] == [
        f"{GROUP_ID}:902",
        f"{GROUP_ID}:903",
        f"{GROUP_ID}:904",
        f"{GROUP_ID}:904",  # the edit arrives again under the same id
        "777888999:55",
    ], "no channel post, automatic forward, stranger's group, join or callback"
    items = {item.remote_id: item for item in updates.page.items}
    comment = items[f"{GROUP_ID}:902"]
    assert comment.kind == ItemKind.COMMENT
    assert comment.parent_id == f"{CHANNEL_ID}:42", "a comment points at the channel post"
    assert comment.root_id == f"{GROUP_ID}:901"
    assert comment.text == "দারুণ! 🎉 কখন শুরু?"
    assert comment.author.handle == "@riya_sen" and comment.author.display_name == "রিয়া সেন"
    assert comment.url == "https://t.me/kalrav_chat/902"
    assert comment.created_at == datetime.fromtimestamp(1718000600, tz=UTC)
    reply = items[f"{GROUP_ID}:903"]
    assert reply.kind == ItemKind.REPLY and reply.parent_id == f"{GROUP_ID}:902"
    assert reply.root_id == f"{GROUP_ID}:901" and reply.author.display_name == "Ελένη"
    edited = [i for i in updates.page.items if i.remote_id == f"{GROUP_ID}:904"][-1]
    assert edited.kind == ItemKind.COMMENT and edited.text.endswith("🤔")
    assert items["777888999:55"].kind == ItemKind.DIRECT_MESSAGE


def test_cursor_moves_past_everything_read_even_what_was_skipped(connector, telegram):
    updates, route = inbox(connector, telegram, since=Cursor("500001"))
    assert updates.page.cursor == Cursor("500012")
    params = route.calls.last.request.url.params
    assert params["offset"] == "500001" and params["timeout"] == "0"
    assert params["allowed_updates"] == '["message", "edited_message", "channel_post"]'


def test_no_new_updates_keeps_the_cursor(connector, telegram):
    telegram.get("/getUpdates").mock(return_value=answer("getUpdates_empty"))
    page = connector.fetch_inbox(Cursor("500012"))
    assert page.items == () and page.cursor == Cursor("500012")


def test_long_polling_waits_longer_than_telegram_holds_the_request(make_connector, telegram):
    connector = make_connector(poll_timeout=25)
    route = telegram.get("/getUpdates").mock(return_value=answer("getUpdates_empty"))
    connector.fetch_inbox(None)
    request = route.calls.last.request
    assert request.url.params["timeout"] == "25"
    assert request.extensions["timeout"]["read"] > 25


def test_polling_while_a_webhook_is_set_says_so(connector, telegram):
    telegram.get("/getUpdates").mock(return_value=answer("error_409"))
    with pytest.raises(Rejected, match="webhook is active"):
        connector.fetch_inbox(None)


def test_polling_echoes_our_channel_post(connector, telegram):
    updates, _route = inbox(connector, telegram)
    refs = {echo.ref.remote_id for echo in updates.echoes}
    assert refs == {f"{CHANNEL_ID}:42"}  # seen twice: in the channel and in the discussion group
    assert len(updates.echoes) == 2


def test_reply_answers_in_the_discussion_group(connector, telegram):
    updates, _route = inbox(connector, telegram)
    comment = updates.page.items[0]
    route = telegram.post("/sendMessage").mock(return_value=answer("sendMessage"))
    connector.reply(comment, OutgoingPost("সন্ধ্যা ৬টায় 🫖"), idempotency_key="r1")
    body = sent(route)
    assert body["chat_id"] == GROUP_ID and body["text"] == "সন্ধ্যা ৬টায় 🫖"
    assert body["reply_parameters"] == {"message_id": 902, "allow_sending_without_reply": False}


def test_reply_to_someone_who_blocked_the_bot_is_rejected_not_a_reconnect(connector, telegram):
    updates, _route = inbox(connector, telegram)
    direct = updates.page.items[-1]
    telegram.post("/sendMessage").mock(return_value=answer("error_403_blocked"))
    with pytest.raises(Rejected, match="blocked by the user"):
        connector.reply(direct, OutgoingPost("Ευχαριστούμε"), idempotency_key="r1")


# --- Reconciliation ------------------------------------------------------------------------------


def test_find_recent_matches_an_echo_of_the_same_post(connector, telegram):
    updates, _route = inbox(connector, telegram)
    before = datetime(2024, 6, 10, 6, 0, tzinfo=UTC)  # the post is dated 06:13:20 UTC
    found = connector.find_recent(OutgoingPost(POSTED), updates.echoes, not_before=before)
    assert isinstance(found, PublishedRef) and found.remote_id == f"{CHANNEL_ID}:42"
    assert found.url == "https://t.me/kalrav_news/42"
    other = OutgoingPost(POSTED + " আজ")
    assert connector.find_recent(other, updates.echoes, not_before=before) is None
    later = datetime(2024, 6, 10, 7, 0, tzinfo=UTC)
    assert connector.find_recent(OutgoingPost(POSTED), updates.echoes, not_before=later) is None


# --- Insights ------------------------------------------------------------------------------------


def test_channel_members_are_counted(connector, telegram):
    route = telegram.get("/getChatMemberCount").mock(return_value=answer("getChatMemberCount"))
    (row,) = connector.channel_metrics()
    assert row.metric == "followers" and row.value == 12873 and row.remote_id == ""
    assert sent(route) == {"chat_id": "@kalrav_news"}


def test_post_views_are_not_available_to_bots(connector, telegram):
    assert connector.post_metrics([PublishedRef(f"{CHANNEL_ID}:42")]) == []
    assert not telegram.calls


def test_check_passes_for_the_declared_capabilities():
    from kalrav.connectors.checks import _capability_errors

    for capability in TelegramConnector.capabilities:
        assert _capability_errors("telegram", TelegramConnector, capability) == []
    assert TOKEN  # the fixtures' token is the one the routes carry
