"""Where the inbox stopped reading notifications.

listNotifications returns the newest first and its own cursor walks back in time, so "what is new
since last time" is a high-water mark instead: the newest indexedAt read, plus the URIs read at that
very instant (two notifications can share a millisecond, and the next fetch must not drop either).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class InboxMark:
    indexed_at: str  # RFC 3339 as the AppView writes it; same format, so strings compare in order
    uris: frozenset[str]

    def is_new(self, notification: Mapping[str, Any]) -> bool:
        indexed_at = notification.get("indexedAt", "")
        if indexed_at != self.indexed_at:
            return indexed_at > self.indexed_at
        return notification.get("uri") not in self.uris

    def encode(self) -> str:
        return json.dumps({"at": self.indexed_at, "uris": sorted(self.uris)}, separators=(",", ":"))

    @classmethod
    def parse(cls, value: str) -> InboxMark | None:
        try:
            data = json.loads(value)
            return cls(str(data["at"]), frozenset(str(uri) for uri in data["uris"]))
        except (ValueError, KeyError, TypeError):
            return None  # a cursor from an older format: start again from the newest page

    @classmethod
    def after(
        cls, mark: InboxMark | None, notifications: Iterable[Mapping[str, Any]]
    ) -> InboxMark | None:
        """The mark once `notifications` (all newer than `mark`) have been read."""
        newest = mark
        for notification in notifications:
            indexed_at, uri = notification.get("indexedAt", ""), notification.get("uri", "")
            if newest is None or indexed_at > newest.indexed_at:
                newest = cls(indexed_at, frozenset({uri}))
            elif indexed_at == newest.indexed_at:
                newest = cls(indexed_at, newest.uris | {uri})
        return newest
