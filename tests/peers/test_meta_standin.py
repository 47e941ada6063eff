"""The Facebook connector against the stand-in Meta over real HTTP (tests/peers/meta_standin.py),
without a browser: the Login dialog and the code trade, publishing and reconcile, a reply to a
comment; and the dialog refusing what Facebook refuses."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from kalrav.connectors.base import (
    Author,
    ConnectorContext,
    IncomingItem,
    ItemKind,
    OutgoingPost,
)
from kalrav.connectors.errors import AuthExpired
from kalrav.connectors.networks.facebook.connector import FacebookConnector
from tests.peers.meta_standin import PAGE_ID, MetaStandIn, serving, settings_for

REDIRECT = "http://127.0.0.1:9/channels/oauth/callback/"


@pytest.fixture
def meta(settings) -> Iterator[MetaStandIn]:
    with serving(MetaStandIn()) as running:
        for name, value in settings_for(running).items():
            setattr(settings, name, value)
        yield running
        assert running.violations == []


def _continue(url: str) -> str:
    page = httpx.get(url)
    assert page.status_code == 200 and "Continue" in page.text, page.text
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', page.text))
    fields = {k: v.replace("&amp;", "&") for k, v in fields.items()}
    back = httpx.post(url.split("?")[0], data={**fields, "decision": "allow"})
    assert back.status_code == 302
    return {k: v[0] for k, v in parse_qs(urlsplit(back.headers["location"]).query).items()}["code"]


def test_sign_in_publish_reconcile_and_reply(meta: MetaStandIn) -> None:
    url, kept = FacebookConnector.oauth_start("", redirect_uri=REDIRECT, state="s-1")
    code = _continue(url)
    pages = FacebookConnector.oauth_finish_many(kept, code)
    assert pages[0].account.remote_id == PAGE_ID
    with pytest.raises(AuthExpired):
        FacebookConnector.oauth_finish_many(kept, code)  # a code is good once

    connector = FacebookConnector(
        ConnectorContext(
            channel_id=1,
            config=pages[0].config,
            credentials=pages[0].credentials,
            account_id=PAGE_ID,
        )
    )
    started = datetime.now(UTC)
    post = OutgoingPost("Open  till 9 tonight ")
    ref = connector.publish(post, idempotency_key="k1")
    # Meta's times are whole seconds; a second later, "the oldest" is one post.
    time.sleep(1.1)
    connector.publish(post, idempotency_key="k1")
    assert len(meta.graph.feed) == 2  # no idempotency, like Meta
    found = connector.reconcile(post, idempotency_key="k1", not_before=started)
    assert found is not None and found.remote_id == ref.remote_id  # the oldest
    comment = meta.comment("When do you open?", post_id=ref.remote_id)
    connector.reply(
        IncomingItem(
            ItemKind.COMMENT,
            comment,
            Author("6100000000000077"),
            "When do you open?",
            datetime.now(UTC),
            parent_id=ref.remote_id,
            root_id=ref.remote_id,
        ),
        OutgoingPost("At 8."),
        idempotency_key="r1",
    )
    answers = [c for c in meta.graph.comments.values() if c["message"] == "At 8."]
    assert len(answers) == 1 and answers[0]["from"]["id"] == PAGE_ID
    connector.close()


def test_the_dialog_refuses_another_app(meta: MetaStandIn) -> None:
    url, _kept = FacebookConnector.oauth_start("", redirect_uri=REDIRECT, state="s-1")
    assert httpx.get(url.replace("client_id=1234567890", "client_id=999")).status_code == 400
