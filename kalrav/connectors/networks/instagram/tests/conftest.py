"""Every test here talks to the fake Instagram (fake.py), which checks the fields asked for
against Meta's facebook-business SDK, so they skip when that package is absent."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import respx
from django.test import override_settings

from kalrav.connectors.networks.instagram.tests.fake import FakeInstagram

APP_SECRET = "meta-app-secret-for-tests"
VERIFY_TOKEN = "verify-me-please"


@pytest.fixture
def meta_app() -> Iterator[None]:
    with override_settings(
        META_APP_ID="1234567890",
        META_APP_SECRET=APP_SECRET,
        META_WEBHOOK_VERIFY_TOKEN=VERIFY_TOKEN,
    ):
        yield


@pytest.fixture
def fake(meta_app: None) -> Iterator[FakeInstagram]:
    with respx.mock(assert_all_called=False) as router:
        yield FakeInstagram(router)
