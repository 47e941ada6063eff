"""The connector contract (kalrav.connectors.testing) against the fake Graph API (fake.py),
which keeps no idempotency key: a lost answer is found again only by `reconcile`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kalrav.connectors.account import AccountVerifier, OAuthConnect, OAuthConnectMany
from kalrav.connectors.base import (
    InboxReader,
    InsightsReader,
    Moderator,
    Publisher,
    RateBudgetReporter,
    Reconciler,
    ReplyHider,
)
from kalrav.connectors.networks.facebook.connector import FacebookConnector
from kalrav.connectors.networks.facebook.tests.fake import FakeGraph
from kalrav.connectors.testing import ConnectorContract
from kalrav.connectors.webhooks import AppWebhookReceiver, ItemCompleter

FIXTURES = Path(__file__).parent / "fixtures"


class TestFacebookContract(ConnectorContract):
    connector_class = FacebookConnector
    expected_capabilities = frozenset(
        {
            Publisher,
            Reconciler,
            InboxReader,
            InsightsReader,
            Moderator,
            ReplyHider,
            RateBudgetReporter,
            AccountVerifier,
            OAuthConnect,
            OAuthConnectMany,
            AppWebhookReceiver,
            ItemCompleter,
        }
    )
    fixtures = FIXTURES

    @pytest.fixture
    def network(self, fake: FakeGraph) -> Iterator[FakeGraph]:
        yield fake
