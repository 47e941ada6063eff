"""The polling backstop for direct messages (conversations.py) against the fake Graph API's
conversations (fake.py): what a poll finds, paging, the cursor, the account's own messages, a
message that came by webhook too, Meta's budget and a revoked sign-in."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest

from kalrav.channels.models import Channel, ChannelState
from kalrav.connectors.base import ItemKind, opened
from kalrav.connectors.errors import AuthExpired
from kalrav.connectors.networks.instagram.tests.conftest import APP_SECRET
from kalrav.connectors.networks.instagram.tests.fake import OWN_ID, PERSON, FakeInstagram
from kalrav.inbox.intake.ingest import ingest
from kalrav.inbox.models import Conversation, Message

NOW = datetime.now(UTC).replace(microsecond=0)


def person(n: int) -> dict[str, str]:
    return {"id": f"12544591546{n:05d}", "username": f"guest_{n}"}


def conversation_reads(fake: FakeInstagram) -> list[str]:
    """The conversations whose messages were read, in order."""
    ids = {thread["id"] for thread in fake.threads}
    return [path.split("/")[0] for method, path in fake.requests if path.split("/")[0] in ids]


def test_a_poll_finds_direct_messages_as_the_webhook_names_them(fake):
    mid = fake.dm("আপনারা কখন খোলেন?", at=NOW - timedelta(minutes=5))
    with opened(fake.connector()) as connector:
        page = connector.fetch_inbox(None)
    [message] = page.items
    assert message.kind == ItemKind.DIRECT_MESSAGE and message.remote_id == mid
    assert message.text == "আপনারা কখন খোলেন?" and message.created_at == NOW - timedelta(minutes=5)
    # The sender's Instagram-scoped id, as the webhook's `sender.id`: the same conversation.
    assert message.author.remote_id == PERSON["id"] and message.author.handle == "chai_lover"
    assert message.root_id == f"dm:{PERSON['id']}"
    assert ("GET", "me/conversations") in fake.requests


def test_with_facebook_login_the_conversations_are_read_through_the_linked_page(fake):
    mid = fake.dm("Open today?")
    with opened(fake.connector(page_id="104000000000001")) as connector:
        page = connector.fetch_inbox(None)
    assert [item.remote_id for item in page.items] == [mid]
    assert ("GET", "104000000000001/conversations") in fake.requests


def test_instagram_login_reads_its_conversations_on_graph_instagram_com(fake):
    mid = fake.dm("Open today?")
    with opened(fake.connector(login="instagram")) as connector:
        page = connector.fetch_inbox(None)
        assert connector.graph.base_url == "https://graph.instagram.com"
    assert [item.remote_id for item in page.items] == [mid]


def test_conversations_and_messages_are_read_page_by_page(fake):
    fake.messages_per_page = 3
    long_talk = [fake.dm(f"part {n}", at=NOW - timedelta(minutes=60 - n)) for n in range(7)]
    others = [fake.dm("hello", person=person(n), at=NOW - timedelta(minutes=30)) for n in range(30)]
    with opened(fake.connector()) as connector:
        page = connector.fetch_inbox(None)
    assert sorted(item.remote_id for item in page.items) == sorted(long_talk + others)
    listings = [path for method, path in fake.requests if path.endswith("/conversations")]
    assert len(listings) == 2  # 31 conversations, 25 a page
    assert ("GET", f"{fake.threads[-1]['id']}/messages") in fake.requests  # 7 messages, 3 a page


def test_a_poll_returns_only_what_is_newer_than_its_cursor(fake):
    quiet = fake.dm("an old question", person=person(1), at=NOW - timedelta(minutes=20))
    first = fake.dm("first", at=NOW - timedelta(minutes=10))
    with opened(fake.connector()) as connector:
        page = connector.fetch_inbox(None)
        assert {item.remote_id for item in page.items} == {quiet, first}
        second = fake.dm("second", at=NOW - timedelta(minutes=2))
        fake.requests.clear()
        again = connector.fetch_inbox(page.cursor)
        assert [item.remote_id for item in again.items] == [second]
        assert connector.fetch_inbox(again.cursor).items == ()
    # The conversation nobody wrote in since is not read again.
    assert fake.threads[-1]["id"] not in conversation_reads(fake)


def test_a_message_in_the_same_second_as_the_cursor_is_still_new(fake):
    first = fake.dm("first", at=NOW - timedelta(minutes=1))
    with opened(fake.connector()) as connector:
        page = connector.fetch_inbox(None)
        same_second = fake.dm("and another", person=person(2), at=NOW - timedelta(minutes=1))
        again = connector.fetch_inbox(page.cursor)
    assert [item.remote_id for item in page.items] == [first]
    assert [item.remote_id for item in again.items] == [same_second]


def test_a_new_channel_does_not_import_old_conversations(fake):
    fake.dm("last year", person=person(3), at=NOW - timedelta(days=3))
    recent = fake.dm("today", at=NOW - timedelta(hours=2))
    with opened(fake.connector()) as connector:
        page = connector.fetch_inbox(None)
    assert [item.remote_id for item in page.items] == [recent]
    assert conversation_reads(fake) == [fake.threads[0]["id"]]


def test_the_accounts_own_messages_are_left_out_as_the_webhook_leaves_its_echoes(fake):
    asked = fake.dm("Do you deliver?", at=NOW - timedelta(minutes=3))
    fake.dm("Yes, across Pune!", ours=True, at=NOW - timedelta(minutes=2))
    with opened(fake.connector()) as connector:
        page = connector.fetch_inbox(None)
    assert [item.remote_id for item in page.items] == [asked]
    assert all(item.author.remote_id != OWN_ID for item in page.items)


def test_comments_and_messages_share_one_poll_and_cursor(fake):
    comment = fake.receive("Lovely cup!")
    message = fake.dm("Is the chai vegan?")
    with opened(fake.connector()) as connector:
        page = connector.fetch_inbox(None)
        assert connector.fetch_inbox(page.cursor).items == ()
    assert {item.remote_id for item in page.items} == {comment, message}


def test_a_message_the_webhook_delivered_is_stored_once(fake, client, workspace):
    channel = Channel.objects.create(
        workspace=workspace,
        network="instagram",
        name="Chai on Instagram",
        remote_id=OWN_ID,
        state=ChannelState.ACTIVE,
    )
    at = NOW - timedelta(minutes=4)
    delivered = fake.dm("Do you open on Sunday?", at=at)
    event = {
        "sender": {"id": PERSON["id"]},
        "recipient": {"id": OWN_ID},
        "timestamp": int(at.timestamp() * 1000),
        "message": {"mid": delivered, "text": "Do you open on Sunday?"},
    }
    body = json.dumps(
        {"object": "instagram", "entry": [{"id": OWN_ID, "time": 1, "messaging": [event]}]}
    ).encode()
    signature = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    answer = client.post(
        "/hooks/networks/instagram/",
        body,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=signature,
    )
    assert answer.status_code == 200 and Message.objects.count() == 1
    later = fake.dm("And on Monday?", at=NOW - timedelta(minutes=1))
    with opened(fake.connector()) as connector:
        page = connector.fetch_inbox(None)
    assert {item.remote_id for item in page.items} == {delivered, later}
    new = ingest(channel, page.items, via="poll")
    assert [message.remote_id for message in new] == [later]
    assert Message.objects.filter(channel=channel).count() == 2
    [conversation] = Conversation.objects.filter(channel=channel)
    assert set(conversation.messages.values_list("remote_id", flat=True)) == {delivered, later}


def test_polling_spaces_itself_out_as_metas_budget_fills(fake):
    usage = {OWN_ID: [{"type": "instagram", "call_count": 75, "total_cputime": 5, "total_time": 5}]}
    fake.usage_headers = {"X-Business-Use-Case-Usage": json.dumps(usage)}
    fake.dm("one")
    with opened(fake.connector()) as connector:
        page = connector.fetch_inbox(None)
        assert page.items
        fake.dm("two", person=person(4))
        calls = len(fake.requests)
        held = connector.fetch_inbox(page.cursor)
        assert held.items == () and held.cursor == page.cursor
        assert len(fake.requests) == calls  # not due: no call made
    assert page.cursor is not None
    waited = json.loads(page.cursor.value)["not_before"] - datetime.now(UTC).timestamp()
    assert 14 * 60 < waited <= 15 * 60 + 1  # halfway from 50 % to 100 %: half of 30 minutes


def test_a_quiet_budget_leaves_the_next_poll_due_at_once(fake):
    fake.dm("one")
    with opened(fake.connector()) as connector:
        page = connector.fetch_inbox(None)
    assert page.cursor is not None and json.loads(page.cursor.value)["not_before"] == 0.0


def test_a_revoked_sign_in_is_auth_expired(fake):
    fake.refuse_conversations = "error_401"  # OAuthException, code 190
    with opened(fake.connector()) as connector, pytest.raises(AuthExpired):
        connector.fetch_inbox(None)


def test_without_the_messaging_permission_comments_are_still_read(fake):
    comment = fake.receive("Lovely cup!")
    fake.refuse_conversations = "error_no_messaging"
    with opened(fake.connector()) as connector:
        page = connector.fetch_inbox(None)
    assert [item.remote_id for item in page.items] == [comment]
    assert "direct messages" in page.notice and "permission" in page.notice
