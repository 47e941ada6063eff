"""The part of the connector contract X keeps while it only declares its rules
(kalrav.connectors.testing.RulesContract); its counting is proved by test_conformance.py."""

from __future__ import annotations

from kalrav.connectors.networks.x.connector import XConnector
from kalrav.connectors.testing import RulesContract


class TestXContract(RulesContract):
    connector_class = XConnector
