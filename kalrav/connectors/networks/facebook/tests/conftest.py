"""Every test here talks to the fake Graph API (fake.py) with the operator's Meta app set."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import respx

from kalrav.connectors.networks.facebook.tests.fake import FakeGraph, meta_app


@pytest.fixture
def fake() -> Iterator[FakeGraph]:
    with respx.mock(assert_all_called=False) as router, meta_app():
        yield FakeGraph(router)
