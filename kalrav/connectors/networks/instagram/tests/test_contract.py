"""The connector contract (kalrav.connectors.testing) against the fake Instagram (fake.py), which
keeps no idempotency key: a lost answer is found again only by `reconcile`. Instagram takes no
post without a photo, so the contract's posts carry one."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from kalrav.connectors.account import (
    AccountVerifier,
    CredentialRefresher,
    OAuthConnect,
    OAuthConnectMany,
)
from kalrav.connectors.base import (
    InboxReader,
    InsightsReader,
    Moderator,
    Publisher,
    PublishQuota,
    RateBudgetReporter,
    Reconciler,
    ReplyHider,
)
from kalrav.connectors.networks.instagram.connector import InstagramConnector
from kalrav.connectors.networks.instagram.tests.fake import FakeInstagram, photo
from kalrav.connectors.testing import ConnectorContract
from kalrav.connectors.webhooks import AppWebhookReceiver, ItemCompleter

FIXTURES = Path(__file__).parent / "fixtures"


class TestInstagramContract(ConnectorContract):
    connector_class = InstagramConnector
    expected_capabilities = frozenset(
        {
            Publisher,
            Reconciler,
            PublishQuota,
            InboxReader,
            InsightsReader,
            Moderator,
            ReplyHider,
            RateBudgetReporter,
            AccountVerifier,
            CredentialRefresher,
            OAuthConnect,
            OAuthConnectMany,
            AppWebhookReceiver,
            ItemCompleter,
        }
    )
    fixtures = FIXTURES
    post = replace(ConnectorContract.post, media=(photo(),))
    other_post = replace(ConnectorContract.other_post, media=(photo("media/1/closed.jpg"),))

    @pytest.fixture
    def network(self, fake: FakeInstagram) -> Iterator[FakeInstagram]:
        yield fake
