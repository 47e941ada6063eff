"""Fixtures for the cross-app tests: real servers started once per session."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import pytest

from conftest import require_service
from tests.peers import atproto_network

PORT_VARIABLES = ("PLC_PORT", "PDS_PORT", "BSKY_PORT", "OZONE_PORT")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def bluesky_network() -> Iterator[atproto_network.AtprotoNetwork]:
    """Bluesky's reference network on free loopback ports, shared by every test that needs it."""
    saved = {name: os.environ.get(name) for name in PORT_VARIABLES}
    os.environ.update({name: str(_free_port()) for name in PORT_VARIABLES})
    try:
        with atproto_network.running() as network:
            yield network
    except atproto_network.PeerUnavailable as problem:
        require_service(str(problem))
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
