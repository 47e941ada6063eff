"""The X connector against the stand-in X over real HTTP (tests/peers/x_standin.py): the whole
OAuth 2.0 sign-in, publishing with media, reconcile after a lost answer, the single-use refresh
token, mentions and rate-limit headers; and the stand-in itself refusing what breaks X's
OpenAPI description, so the end-to-end tests that rely on it can fail."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from kalrav.connectors.base import ConnectorContext, MediaItem, MediaKind, OutgoingPost
from kalrav.connectors.errors import AuthExpired, RateLimited
from kalrav.connectors.networks.x.client import Tokens
from kalrav.connectors.networks.x.connector import XConnector
from kalrav.connectors.sessions import KeptInMemory
from tests.peers.x_standin import OWN_ID, XStandIn, serving, settings_for

REDIRECT = "http://127.0.0.1:9/channels/oauth/callback/"


@pytest.fixture
def standin(settings) -> Iterator[XStandIn]:
    with serving(XStandIn()) as running:
        for name, value in settings_for(running).items():
            setattr(settings, name, value)
        yield running
        assert running.violations == []


def _sign_in(standin: XStandIn) -> tuple[str, dict]:
    """What a person's browser does on the sign-in page: the code X sends back."""
    url, kept = XConnector.oauth_start("", redirect_uri=REDIRECT, state="s-1")
    assert url.startswith(f"{standin.url}/i/oauth2/authorize?")
    page = httpx.get(url)
    assert "Authorize app" in page.text
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', page.text))
    fields = {k: v.replace("&amp;", "&") for k, v in fields.items()}
    back = httpx.post(f"{standin.url}/i/oauth2/authorize", data={**fields, "decision": "allow"})
    assert back.status_code == 302
    query = {k: v[0] for k, v in parse_qs(urlsplit(back.headers["location"]).query).items()}
    assert query["state"] == "s-1"
    return query["code"], kept


def _connector(standin: XStandIn, session: str, keeper: KeptInMemory | None = None) -> XConnector:
    return XConnector(
        ConnectorContext(
            channel_id=1,
            config={"user_id": OWN_ID},
            credentials={"session": session},
            account_id=OWN_ID,
            sessions=keeper or KeptInMemory(session),
        ),
        read_media=lambda item: b"\x89PNG" + b"0" * 5000,
    )


def test_sign_in_publish_with_media_and_find_it_again(standin: XStandIn) -> None:
    code, kept = _sign_in(standin)
    connection = XConnector.connect(kept, code)
    assert connection.account.handle == "chaicorner"
    with pytest.raises(AuthExpired):
        XConnector.connect(kept, code)  # a code works once

    connector = _connector(standin, connection.credentials["session"])
    started = datetime.now(UTC)
    image = MediaItem(MediaKind.IMAGE, "image/png", 5004, alt_text="A tin of chai", source="a")
    post = OutgoingPost("Fresh chai & news: https://chai.example/x?a=1&b=2", media=(image,))
    ref = connector.publish(post, idempotency_key="k1")
    assert [t["id"] for t in standin.tweets] == [ref.remote_id]
    assert next(iter(standin.media.values()))["alt"] == "A tin of chai"
    # Shortened and escaped by the stand-in, as X does; reconcile still recognises it.
    found = connector.reconcile(post, idempotency_key="k1", not_before=started)
    assert found is not None and found.remote_id == ref.remote_id
    assert (
        connector.reconcile(OutgoingPost("never sent"), idempotency_key="k2", not_before=started)
        is None
    )
    connector.delete(ref, idempotency_key="k1")
    assert standin.tweets == []
    connector.close()


def test_a_repeat_is_a_second_post_and_the_limit_headers_run_down(standin: XStandIn) -> None:
    code, kept = _sign_in(standin)
    connector = _connector(standin, XConnector.connect(kept, code).credentials["session"])
    connector.publish(OutgoingPost("Same words"), idempotency_key="k1")
    connector.publish(OutgoingPost("Same words"), idempotency_key="k1")
    assert standin.posts_by_text() == {"Same words": 2}  # no idempotency, like X
    budget = connector.api.budgets["POST /2/tweets"]
    assert (budget.limit, budget.remaining) == (100, 98)
    standin.budgets[("POST", "/2/tweets")].remaining = 0
    with pytest.raises(RateLimited):
        connector.publish(OutgoingPost("Third"), idempotency_key="k3")
    connector.close()


def test_a_refresh_token_works_once(standin: XStandIn) -> None:
    code, kept = _sign_in(standin)
    session = XConnector.connect(kept, code).credentials["session"]
    tokens = Tokens.decode(session)
    assert tokens is not None
    expired = Tokens(tokens.access_token, tokens.refresh_token, time.time() - 1, OWN_ID).encode()
    keeper = KeptInMemory(expired)
    first = _connector(standin, expired, keeper)
    assert first.verify().handle == "chaicorner"
    assert standin.used_refresh == 1
    # A second holder of the old pair (a stale copy) is refused: the token is used up.
    stale = _connector(standin, expired, KeptInMemory(expired))
    with pytest.raises(AuthExpired):
        stale.verify()
    first.close()
    stale.close()


def test_mentions_arrive_once_and_a_reply_answers_the_mention(standin: XStandIn) -> None:
    code, kept = _sign_in(standin)
    connector = _connector(standin, XConnector.connect(kept, code).credentials["session"])
    mention = standin.mention("@chaicorner is the Assam back?", author="ravi")
    page = connector.fetch_inbox(None)
    assert [item.remote_id for item in page.items] == [mention]
    assert page.items[0].author.handle == "ravi"
    connector.reply(page.items[0], OutgoingPost("Yes, since Monday!"), idempotency_key="r1")
    assert [t["sent"] for t in standin.replies_to(mention)] == ["Yes, since Monday!"]
    connector.close()


def test_the_standin_refuses_a_request_outside_the_contract(standin: XStandIn) -> None:
    code, kept = _sign_in(standin)
    tokens = Tokens.decode(XConnector.connect(kept, code).credentials["session"])
    assert tokens is not None
    answer = httpx.get(
        f"{standin.url}/2/users/{OWN_ID}/tweets",
        params={"max_results": 100, "tweet.colour": "blue"},
        headers={"Authorization": f"Bearer {tokens.access_token}"},
    )
    assert answer.status_code == 400
    assert "tweet.colour" in standin.violations[0]
    standin.violations.clear()
    late = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert (
        httpx.get(f"{standin.url}/2/users/{OWN_ID}/tweets", params={"start_time": late}).status_code
        == 401
    )
