"""Direct messages against the fake X: read from dm_events since the newest seen, paced by the
rate budget, answered in their conversation, reconciled by text after a lost answer, asked for
in the sign-in only when the operator turned them on, and a 403 for the access level said on
the channel instead of failing the inbox."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import override_settings

from kalrav.connectors.base import ItemKind, OutgoingPost, PublishedRef, opened
from kalrav.connectors.errors import Transient
from kalrav.connectors.networks.x import messages
from kalrav.connectors.networks.x.connector import XConnector
from kalrav.connectors.networks.x.tests.fake import OWN_ID, FakeX

ON = override_settings(X_DIRECT_MESSAGES=True)


def _scopes() -> list[str]:
    url, _kept = XConnector.oauth_start("", redirect_uri="https://k.example/cb", state="s")
    return parse_qs(urlsplit(url).query)["scope"][0].split()


def test_dm_scopes_are_asked_only_when_the_operator_turned_them_on(fake: FakeX) -> None:
    assert "dm.read" not in _scopes() and "dm.write" not in _scopes()
    with ON:
        assert {"dm.read", "dm.write", "offline.access"} <= set(_scopes())


def test_without_the_setting_no_direct_message_is_asked_for(fake: FakeX) -> None:
    fake.receive_dm("hello?")
    with opened(fake.connector()) as connector:
        connector.fetch_inbox(None)
    assert not [t for _m, t in fake.requests if "dm_" in t]


@ON
def test_messages_arrive_oldest_first_since_the_newest_seen_without_the_accounts_own(
    fake: FakeX,
) -> None:
    first = fake.receive_dm("Do you deliver to Pune?")
    fake.receive_dm("Yes, on Fridays.", sender=OWN_ID)
    second = fake.receive_dm("धन्यवाद!")
    with opened(fake.connector()) as connector:
        page = connector.fetch_inbox(None)
    dms = [item for item in page.items if item.kind == ItemKind.DIRECT_MESSAGE]
    assert [item.remote_id for item in dms] == [first, second]
    assert dms[0].author.handle == "asha_reads" and dms[0].root_id == f"{OWN_ID}-9876543210"
    assert dms[0].url == f"https://x.com/messages/{OWN_ID}-9876543210"
    third = fake.receive_dm("One more thing")
    with opened(fake.connector(clock=lambda: time.time() + 3600)) as connector:
        later = connector.fetch_inbox(page.cursor)
    assert [item.remote_id for item in later.items] == [third]
    assert json.loads(later.cursor.value)["dm_since_id"] == third


@ON
def test_a_long_gap_is_read_over_pages_until_the_newest_seen(fake: FakeX) -> None:
    seen = fake.receive_dm("old")
    with opened(fake.connector()) as connector:
        page = connector.fetch_inbox(None)
    new = [fake.receive_dm(f"new {n}") for n in range(150)]
    with opened(fake.connector(clock=lambda: time.time() + 3600)) as connector:
        later = connector.fetch_inbox(page.cursor)
    assert [item.remote_id for item in later.items] == new and seen not in new
    assert [t for _m, t in fake.requests].count("/2/dm_events") == 3


@ON
def test_message_polling_keeps_within_the_rate_budget(fake: FakeX) -> None:
    now = time.time()
    fake.rate_headers = {
        "x-rate-limit-limit": "15",
        "x-rate-limit-remaining": "0",
        "x-rate-limit-reset": str(int(now) + 900),
    }
    fake.receive_dm("first")
    with opened(fake.connector(clock=lambda: now)) as connector:
        page = connector.fetch_inbox(None)
    calls = [t for _m, t in fake.requests].count("/2/dm_events")
    fake.receive_dm("second")
    with opened(fake.connector(clock=lambda: now + 60)) as connector:
        early = connector.fetch_inbox(page.cursor)
    assert early.items == ()
    assert [t for _m, t in fake.requests].count("/2/dm_events") == calls


@ON
def test_a_403_for_the_access_level_is_a_notice_not_an_error_loop(fake: FakeX) -> None:
    fake.dm_access = False
    mention = fake.receive("@chaicorner hi")
    now = time.time()
    with opened(fake.connector(clock=lambda: now)) as connector:
        page = connector.fetch_inbox(None)
    assert [item.remote_id for item in page.items] == [mention]
    assert "higher X access level" in page.notice
    asked = [t for _m, t in fake.requests].count("/2/dm_events")
    with opened(fake.connector(clock=lambda: now + 3600)) as connector:
        again = connector.fetch_inbox(page.cursor)
    assert [t for _m, t in fake.requests].count("/2/dm_events") == asked  # not asked again
    assert "higher X access level" in again.notice
    fake.dm_access = True  # the operator upgraded: a day later it is asked again
    fake.receive_dm("now it works")
    with opened(fake.connector(clock=lambda: now + 86_500)) as connector:
        upgraded = connector.fetch_inbox(again.cursor)
    assert [item.text for item in upgraded.items] == ["now it works"] and upgraded.notice == ""


@ON
def test_a_reply_goes_into_the_conversation_it_answers(fake: FakeX) -> None:
    fake.receive_dm("Open today?")
    with opened(fake.connector()) as connector:
        incoming = connector.fetch_inbox(None).items[0]
        ref = connector.reply(incoming, OutgoingPost("Till 9 pm"), idempotency_key="r1")
    sent = fake.dms[-1]
    assert sent["sender_id"] == OWN_ID and sent["text"] == "Till 9 pm"
    assert sent["dm_conversation_id"] == incoming.root_id and ref.remote_id == sent["id"]
    assert ("POST", "/2/dm_conversations/{dm_conversation_id}/messages") in fake.requests


@ON
def test_a_lost_answer_is_found_by_its_text_and_not_sent_again(fake: FakeX) -> None:
    fake.receive_dm("Price of Darjeeling?")
    started = datetime.now(UTC)
    with opened(fake.connector()) as connector:
        incoming = connector.fetch_inbox(None).items[0]
        fake.lose_next_answer()
        with pytest.raises(Transient):  # the answer was lost on the way
            connector.reply(incoming, OutgoingPost("₹450 for 100 g"), idempotency_key="r1")
        meant = OutgoingPost(
            "₹450 for 100 g", reply_to=PublishedRef(incoming.remote_id, url=incoming.url)
        )
        found = connector.reconcile(meant, idempotency_key="r1", not_before=started)
        other = connector.reconcile(
            OutgoingPost("₹500", reply_to=PublishedRef(incoming.remote_id, url=incoming.url)),
            idempotency_key="r2",
            not_before=started,
        )
    assert found is not None and found.remote_id == fake.dms[-1]["id"]
    assert other is None  # different words: surely not sent, so sending again is safe
    assert [e["text"] for e in fake.dms].count("₹450 for 100 g") == 1


@ON
def test_an_answer_older_than_the_first_try_is_not_taken_for_it(fake: FakeX) -> None:
    fake.receive_dm("Hi")
    with opened(fake.connector()) as connector:
        incoming = connector.fetch_inbox(None).items[0]
        connector.reply(incoming, OutgoingPost("Hello!"), idempotency_key="r0")
        meant = OutgoingPost("Hello!", reply_to=PublishedRef(incoming.remote_id, url=incoming.url))
        later = datetime.now(UTC) + timedelta(minutes=10)
        assert connector.reconcile(meant, idempotency_key="r1", not_before=later) is None


def test_conversation_ids_pair_the_two_accounts_smaller_first() -> None:
    assert messages.one_to_one("99", "100") == "99-100"
    assert messages.conversation_of("https://x.com/messages/1-2") == "1-2"
    assert messages.conversation_of("https://x.com/i/web/status/1") == ""
