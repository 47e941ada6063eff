"""Every test here talks to the fake X (fake.py), which checks each request and answer against
X's OpenAPI description, so they skip when that description (shared data) is absent."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import respx

from kalrav.connectors.networks.x.tests.fake import FakeX, operator_app
from kalrav.connectors.networks.x.tests.openapi import require_contract


@pytest.fixture
def fake() -> Iterator[FakeX]:
    require_contract()
    with respx.mock(assert_all_called=False) as router, operator_app():
        yield FakeX(router)
