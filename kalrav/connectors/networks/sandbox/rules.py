"""What the sandbox network accepts: text only, up to 500 user-perceived characters (grapheme
clusters, as Bluesky and Mastodon count), links counted as written."""

from __future__ import annotations

from kalrav.connectors.base import LengthUnit, LinkHandling, NetworkRules
from kalrav.connectors.rules import measure_graphemes
from kalrav.sandbox.server import MAX_LENGTH

RULES = NetworkRules(
    max_length=MAX_LENGTH,
    unit=LengthUnit.GRAPHEMES,
    measure=measure_graphemes,
    links=LinkHandling(auto_linked=True),
)
