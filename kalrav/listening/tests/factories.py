"""Mentions and matches made directly, for alert, dashboard and trend tests."""

from __future__ import annotations

import itertools
from datetime import datetime

from kalrav.listening.models import Mention, MentionMatch, Monitor

_ids = itertools.count(1)


def mention(
    monitor: Monitor,
    at: datetime,
    *,
    text: str = "tea",
    sentiment: str = "neutral",
    language: str = "en",
    author: str = "fan.example",
    network: str = "bluesky",
) -> Mention:
    n = next(_ids)
    found = Mention.objects.create(
        workspace_id=monitor.workspace_id,
        network=network,
        remote_id=f"r{n}",
        url=f"https://example.test/p/{n}",
        url_key=f"u{n}",
        text_key=f"t{n}",
        author_handle=author,
        text=text,
        language=language,
        sentiment=sentiment,
        published_at=at,
    )
    MentionMatch.objects.create(
        monitor=monitor, mention=found, published_at=at, language=language, sentiment=sentiment
    )
    return found


def bulk(monitor: Monitor, times: list[datetime], **kwargs) -> list[int]:
    """Many mentions at once (the history of a monitor), each matched."""
    start = next(_ids)
    for _ in times:
        next(_ids)
    rows = [
        Mention(
            workspace_id=monitor.workspace_id,
            network="bluesky",
            url=f"https://example.test/h/{start + i}",
            url_key=f"h{start + i}",
            text_key=f"ht{start + i}",
            author_handle=kwargs.get("author", "fan.example"),
            text=kwargs.get("text", "tea"),
            language=kwargs.get("language", "en"),
            sentiment=kwargs.get("sentiment", "neutral"),
            published_at=at,
        )
        for i, at in enumerate(times)
    ]
    made = Mention.objects.bulk_create(rows)
    MentionMatch.objects.bulk_create(
        MentionMatch(
            monitor=monitor,
            mention=m,
            published_at=m.published_at,
            language=m.language,
            sentiment=m.sentiment,
        )
        for m in made
    )
    return [m.pk for m in made]
