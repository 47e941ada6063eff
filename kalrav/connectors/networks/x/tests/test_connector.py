"""The X connector against the fake X (fake.py): connecting by OAuth 2.0 with PKCE, renewing the
single-use refresh token one at a time, publishing (threads, polls, reply settings, chunked
media), reconcile, rate limits and the mentions inbox. Every request is checked against X's
OpenAPI description by the fake."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.test import override_settings

from kalrav.connectors.base import (
    ConnectorContext,
    MediaItem,
    MediaKind,
    OutgoingPost,
    Poll,
    PublishedRef,
    opened,
)
from kalrav.connectors.errors import AuthExpired, RateLimited, Rejected
from kalrav.connectors.networks.x.client import Tokens
from kalrav.connectors.networks.x.connector import XConnector
from kalrav.connectors.networks.x.tests.fake import HTTP_OPTIONS, OWN_ID, FakeX
from kalrav.connectors.sessions import KeptInMemory

HOUR_AGO = datetime.now(UTC) - timedelta(hours=1)


def _image(name: str, alt: str = "") -> MediaItem:
    return MediaItem(MediaKind.IMAGE, "image/png", 404, alt_text=alt, source=name)


# --- Connecting ----------------------------------------------------------------------------------


def test_sign_in_sends_pkce_and_offline_access_and_finishes_with_a_session(fake: FakeX) -> None:
    url, kept = XConnector.oauth_start("", redirect_uri="https://k.example/cb", state="s1")
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert url.startswith("https://x.com/i/oauth2/authorize?")
    assert query["code_challenge_method"] == "S256"
    assert "offline.access" in query["scope"].split() and "tweet.write" in query["scope"].split()
    assert query["state"] == "s1" and query["client_id"] == "kalrav-test-client"
    digest = hashlib.sha256(kept["verifier"].encode()).digest()
    assert query["code_challenge"] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    connection = XConnector.connect(
        kept, fake.grant(query["code_challenge"]), http_options=HTTP_OPTIONS
    )
    tokens = Tokens.decode(connection.credentials["session"])
    assert tokens is not None and tokens.refresh_token == fake.refresh
    assert connection.account.handle == "chaicorner" and connection.config["user_id"] == OWN_ID


def test_a_code_with_the_wrong_verifier_is_refused(fake: FakeX) -> None:
    _url, kept = XConnector.oauth_start("", redirect_uri="https://k.example/cb", state="s1")
    with pytest.raises(AuthExpired):
        XConnector.connect(kept, fake.grant("not-the-challenge"), http_options=HTTP_OPTIONS)


def test_without_the_operators_app_sign_in_is_refused_with_a_reason() -> None:
    with override_settings(X_CLIENT_ID=""), pytest.raises(Rejected, match="KALRAV_X_CLIENT_ID"):
        XConnector.oauth_start("", redirect_uri="https://k.example/cb", state="s1")


def _expired(fake: FakeX) -> KeptInMemory:
    return KeptInMemory(Tokens(fake.access, fake.refresh, time.time() - 1, OWN_ID).encode())


def test_an_expired_token_is_refreshed_once_and_the_new_pair_kept(fake: FakeX) -> None:
    keeper = _expired(fake)
    first_refresh = fake.refresh
    with opened(fake.connector(keeper)) as connector:
        assert connector.verify().remote_id == OWN_ID
    with opened(fake.connector(keeper)) as connector:
        connector.verify()
    kept = Tokens.decode(keeper.kept())
    assert fake.refreshes == 1
    assert kept is not None and kept.refresh_token == fake.refresh != first_refresh


def test_workers_sharing_a_channel_refresh_one_at_a_time(fake: FakeX) -> None:
    """X's refresh token works once: two refreshes with it at once would leave one worker with
    a refused token and, if it kept its answer, the channel with a used-up one."""
    keeper = _expired(fake)
    errors: list[Exception] = []

    def work() -> None:
        try:
            with opened(fake.connector(keeper)) as connector:
                connector.verify()
        except Exception as error:
            errors.append(error)

    workers = [threading.Thread(target=work) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == [] and fake.refreshes == 1


def test_refresh_hands_back_nothing_to_write_over_what_the_keeper_kept(fake: FakeX) -> None:
    keeper = KeptInMemory(fake.session())
    with opened(fake.connector(keeper)) as connector:
        renewed = connector.refresh()
    assert dict(renewed.credentials) == {}
    kept = Tokens.decode(keeper.kept())
    assert fake.refreshes == 1 and kept is not None and kept.refresh_token == fake.refresh


def test_a_revoked_grant_needs_reconnecting(fake: FakeX) -> None:
    fake.revoked = True
    with opened(fake.connector(_expired(fake))) as connector, pytest.raises(AuthExpired):
        connector.verify()


# --- Publishing ----------------------------------------------------------------------------------


def test_a_thread_is_a_reply_chain_ending_with_the_first_comment(fake: FakeX) -> None:
    post = OutgoingPost(
        "1/ Chai menu",
        thread=(OutgoingPost("2/ Masala"), OutgoingPost("3/ Ginger")),
        first_comment="#chai #kolkata",
        options={"reply_settings": "following"},
    )
    with opened(fake.connector()) as connector:
        ref = connector.publish(post, idempotency_key="k1")
    ids = [tweet["id"] for tweet in fake.tweets]
    assert [tweet["sent"] for tweet in fake.tweets] == [
        "1/ Chai menu",
        "2/ Masala",
        "3/ Ginger",
        "#chai #kolkata",
    ]
    assert [tweet.get("reply", {}).get("in_reply_to_tweet_id") for tweet in fake.tweets] == [
        None,
        *ids[:-1],
    ]
    assert all(tweet["reply_settings"] == "following" for tweet in fake.tweets)
    assert ref.remote_id == ids[0] and ref.extra["thread"] == ",".join(ids)


def test_a_poll_goes_out_with_its_duration_in_minutes(fake: FakeX) -> None:
    post = OutgoingPost("Which chai?", poll=Poll(("Masala", "Ginger"), duration=timedelta(hours=6)))
    with opened(fake.connector()) as connector:
        connector.publish(post, idempotency_key="k1")
    assert fake.tweets[0]["poll"] == {"options": ["Masala", "Ginger"], "duration_minutes": 360}


def test_images_are_uploaded_in_chunks_with_their_alt_text(fake: FakeX, monkeypatch) -> None:
    monkeypatch.setattr("kalrav.connectors.networks.x.connector.CHUNK", 150)
    post = OutgoingPost("New cups", media=(_image("a.png", "Clay cups"), _image("b.png")))
    with opened(fake.connector()) as connector:
        connector.publish(post, idempotency_key="k1")
    media_ids = fake.tweets[0]["media"]["media_ids"]
    assert len(media_ids) == 2 and all(fake.media[m]["finalized"] for m in media_ids)
    assert fake.media[media_ids[0]]["alt"] == "Clay cups" and "alt" not in fake.media[media_ids[1]]
    appends = [t for _m, t in fake.requests if t.endswith("/append")]
    assert len(appends) == 2 * 4  # 504 bytes each (fake.read_media) in chunks of 150


def test_media_still_processing_is_waited_for_before_the_post(fake: FakeX) -> None:
    fake.processing_polls = 3
    post = OutgoingPost(
        "Pouring", media=(MediaItem(MediaKind.VIDEO, "video/mp4", 404, source="v.mp4"),)
    )
    with opened(fake.connector()) as connector:
        connector.publish(post, idempotency_key="k1")
    assert [t for _m, t in fake.requests].count("/2/media/upload") == 3
    assert fake.tweets[0]["media"]["media_ids"]


def test_who_may_reply_is_checked_before_publishing(fake: FakeX) -> None:
    with opened(fake.connector()) as connector:
        problems = connector.validate(OutgoingPost("Hi", options={"reply_settings": "everyone?"}))
    assert [p.target for p in problems] == ["options.reply_settings"]


def test_a_rate_limit_says_when_to_try_again(fake: FakeX) -> None:
    reset = int(time.time()) + 600
    limited = httpx.Response(
        429,
        json={"code": 429, "message": "Too Many Requests"},
        headers={
            "x-user-limit-24hour-remaining": "0",
            "x-user-limit-24hour-reset": str(reset),
            "x-rate-limit-remaining": "12",
            "x-rate-limit-reset": str(reset - 500),
        },
    )
    fake._next_answer = limited
    with opened(fake.connector()) as connector, pytest.raises(RateLimited) as raised:
        connector.publish(OutgoingPost("Hi"), idempotency_key="k1")
    assert raised.value.retry_after is not None and 590 <= raised.value.retry_after <= 600
    assert fake.tweets == []


# --- Reconcile -----------------------------------------------------------------------------------


def test_reconcile_sees_through_tco_links_escaping_and_the_media_link(fake: FakeX) -> None:
    post = OutgoingPost("Tea & toast <3 https://chai.example/menu", media=(_image("a.png"),))
    with opened(fake.connector()) as connector:
        made = connector.publish(post, idempotency_key="k1")
        found = connector.reconcile(post, idempotency_key="k1", not_before=HOUR_AGO)
        other = connector.reconcile(
            OutgoingPost("Tea & toast <3 https://chai.example/other"),
            idempotency_key="k2",
            not_before=HOUR_AGO,
        )
    assert found is not None and found.remote_id == made.remote_id and other is None


def test_reconcile_tells_a_reply_from_a_post_with_the_same_words(fake: FakeX) -> None:
    with opened(fake.connector()) as connector:
        connector.publish(OutgoingPost("Thank you!"), idempotency_key="k1")
        reply = OutgoingPost("Thank you!", reply_to=PublishedRef("1234"))
        assert connector.reconcile(reply, idempotency_key="k2", not_before=HOUR_AGO) is None


def test_a_thread_found_in_part_fails_visibly_instead_of_posting_again(fake: FakeX) -> None:
    post = OutgoingPost("1/ Menu", thread=(OutgoingPost("2/ Prices"),))
    with opened(fake.connector()) as connector:
        connector.publish(OutgoingPost("1/ Menu"), idempotency_key="k1")  # the worker died here
        with pytest.raises(Rejected, match="1 of the 2"):
            connector.reconcile(post, idempotency_key="k1", not_before=HOUR_AGO)
        connector.publish(
            OutgoingPost("2/ Prices", reply_to=PublishedRef(fake.tweets[0]["id"])),
            idempotency_key="k",
        )
        found = connector.reconcile(post, idempotency_key="k1", not_before=HOUR_AGO)
    assert found is not None and found.extra["thread"] == ",".join(t["id"] for t in fake.tweets)


def test_delete_removes_every_part_of_a_thread(fake: FakeX) -> None:
    with opened(fake.connector()) as connector:
        ref = connector.publish(
            OutgoingPost("1/", thread=(OutgoingPost("2/"),)), idempotency_key="k1"
        )
        connector.delete(ref, idempotency_key="d1")
    assert fake.tweets == []


# --- Inbox ---------------------------------------------------------------------------------------


def test_mentions_and_replies_arrive_oldest_first_without_the_accounts_own(fake: FakeX) -> None:
    mention = fake.receive("@chaicorner open on Sunday?")
    reply = fake.receive("Yes please! हाँ", reply_to="1445880548472328192")
    own = fake.receive("@chaicorner note to self")
    fake.mentions[-1]["author_id"] = OWN_ID
    with opened(fake.connector()) as connector:
        page = connector.fetch_inbox(None)
    assert [item.remote_id for item in page.items] == [mention, reply]
    assert [item.kind for item in page.items] == ["mention", "reply"]
    assert (
        page.items[1].parent_id == "1445880548472328192"
        and page.items[1].author.handle == "asha_reads"
    )
    assert page.cursor is not None and json.loads(page.cursor.value)["since_id"] == own


def test_polling_keeps_within_the_rate_budget(fake: FakeX) -> None:
    now = time.time()
    fake.rate_headers = {
        "x-rate-limit-limit": "10",
        "x-rate-limit-remaining": "1",
        "x-rate-limit-reset": str(int(now) + 600),
    }
    fake.receive("first")
    with opened(fake.connector()) as connector:
        page = connector.fetch_inbox(None)
    calls = len(fake.requests)
    fake.receive("second")
    with opened(fake.connector()) as connector:
        early = connector.fetch_inbox(page.cursor)
    assert early.items == () and early.cursor == page.cursor and len(fake.requests) == calls
    later = now + 301  # half the window left for the one request left
    with opened(fake.connector(clock=lambda: later)) as connector:
        assert [item.text for item in connector.fetch_inbox(page.cursor).items] == ["second"]


def test_a_pasted_refresh_token_becomes_the_channels_session_at_first_use(fake: FakeX) -> None:
    keeper = KeptInMemory("")
    connector = XConnector(
        ConnectorContext(
            channel_id=8, credentials={"refresh_token": fake.refresh}, sessions=keeper
        ),
        http_options=HTTP_OPTIONS,
    )
    with opened(connector):
        assert connector.verify().remote_id == OWN_ID
    kept = Tokens.decode(keeper.kept())
    assert fake.refreshes == 1 and kept is not None and kept.refresh_token == fake.refresh
