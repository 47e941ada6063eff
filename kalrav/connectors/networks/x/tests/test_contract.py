"""The connector contract (kalrav.connectors.testing) against the fake X (fake.py), which keeps
no idempotency key: a lost answer is found again only by `reconcile`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kalrav.connectors.account import AccountVerifier, CredentialRefresher, OAuthConnect
from kalrav.connectors.base import (
    InboxReader,
    InsightsReader,
    Publisher,
    RateBudgetReporter,
    Reconciler,
)
from kalrav.connectors.networks.x.connector import XConnector
from kalrav.connectors.networks.x.tests.fake import FakeX
from kalrav.connectors.testing import ConnectorContract
from kalrav.connectors.webhooks import AppWebhookReceiver

FIXTURES = Path(__file__).parent / "fixtures"


class TestXContract(ConnectorContract):
    connector_class = XConnector
    expected_capabilities = frozenset(
        {
            Publisher,
            Reconciler,
            InboxReader,
            InsightsReader,
            RateBudgetReporter,
            AccountVerifier,
            CredentialRefresher,
            OAuthConnect,
            AppWebhookReceiver,
        }
    )
    fixtures = FIXTURES

    @pytest.fixture
    def network(self, fake: FakeX) -> Iterator[FakeX]:
        yield fake
