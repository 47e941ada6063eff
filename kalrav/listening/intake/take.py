"""Storing collected items as mentions: normalised, deduplicated, read for language and fast
sentiment in one batch, matched against every active monitor of the workspace at once, and
written in bulk.

Two items are one mention when they have the same address (tracking parameters aside), or the
same words from the same author within a day (a repost, or a feed and a search carrying the
same post under two addresses). An item no monitor matches is still kept: a monitor written
later can be tried on it in the preview.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from kalrav.listening.alerts.arrival import on_mentions_stored
from kalrav.listening.models import Mention, MentionMatch, Source
from kalrav.listening.query import Post
from kalrav.nlp.services import StreamReadings, classify_stream
from kalrav.workspaces.models import Workspace

from .keys import text_key, url_key
from .matching import matcher_for

TEXT_WINDOW = timedelta(hours=24)


# Not frozen: a frozen dataclass sets each field through object.__setattr__, which made building
# an item cost 2.9 µs instead of 0.8, half the budget of a post on a public stream.
@dataclass(slots=True)
class Collected:
    """One item as a source hands it over (sources build it; nothing changes it afterwards)."""

    text: str
    published_at: datetime
    url: str = ""
    title: str = ""
    network: str = "web"
    remote_id: str = ""
    author_handle: str = ""
    author_name: str = ""
    author_url: str = ""
    author_reach: int | None = None
    language: str = ""  # as the source labels it; detected when empty
    hashtags: tuple[str, ...] = field(default=())

    @property
    def full_text(self) -> str:
        return f"{self.title}\n{self.text}" if self.title else self.text


def _fresh(workspace: Workspace, items: Sequence[Collected]) -> list[tuple[Collected, str, str]]:
    """The items not stored yet, with their keys, each once."""
    keyed = [
        (
            item,
            url_key(item.url, network=item.network, remote_id=item.remote_id),
            text_key(item.full_text, item.author_handle or item.author_name),
        )
        for item in items
        if item.text.strip() or item.title.strip()
    ]
    if not keyed:
        return []
    known_urls = set(
        Mention.objects.filter(
            workspace=workspace, url_key__in=[key for _, key, _ in keyed]
        ).values_list("url_key", flat=True)
    )
    earliest = min(item.published_at for item, _, _ in keyed) - TEXT_WINDOW
    known_texts: dict[str, list[datetime]] = {}
    for key, at in Mention.objects.filter(
        workspace=workspace,
        text_key__in=[key for _, _, key in keyed],
        published_at__gte=earliest,
    ).values_list("text_key", "published_at"):
        known_texts.setdefault(key, []).append(at)
    fresh = []
    for item, ukey, tkey in keyed:
        if ukey in known_urls:
            continue
        seen_at = known_texts.get(tkey, [])
        if any(abs(item.published_at - at) <= TEXT_WINDOW for at in seen_at):
            continue
        known_urls.add(ukey)
        known_texts.setdefault(tkey, []).append(item.published_at)
        fresh.append((item, ukey, tkey))
    return fresh


def read(items: Sequence[Collected]) -> tuple[list[str], StreamReadings]:
    """What to store as each item's language (the source's label, else the detected one; ""
    when it has no words), and the stream reader's language and fast sentiment of each, read in
    one batch. Every item is read, matched or not: the mentions list filters all mentions by
    language and sentiment, and the preview and the backfill of a monitor written later read
    them from the stored mention."""
    found = classify_stream([item.full_text for item in items])
    languages = [
        item.language or ("" if detected == "und" else detected)
        for item, detected in zip(items, found.languages, strict=True)
    ]
    return languages, found


def take(workspace: Workspace, source: Source | None, items: Sequence[Collected]) -> list[Mention]:
    """Store the items that are new for the workspace; return the new mentions."""
    fresh = _fresh(workspace, items)
    if not fresh:
        return []
    languages, found = read([item for item, _, _ in fresh])
    now = timezone.now()
    mentions = []
    for (item, ukey, tkey), language, sentiment, score in zip(
        fresh, languages, found.sentiments, found.scores, strict=True
    ):
        mentions.append(
            Mention(
                workspace=workspace,
                source=source,
                network=item.network[:32],
                remote_id=item.remote_id[:255],
                url=item.url[:1000],
                url_key=ukey,
                text_key=tkey,
                author_handle=item.author_handle[:255],
                author_name=item.author_name[:255],
                author_url=item.author_url[:500],
                author_reach=item.author_reach,
                title=item.title[:500],
                text=item.text,
                language=language[:8],
                sentiment=sentiment,
                sentiment_score=score,
                published_at=min(item.published_at, now),
                collected_at=now,
            )
        )
    stored = _store(mentions)
    _match(
        workspace, stored, {id(m): item for m, (item, _, _) in zip(mentions, fresh, strict=True)}
    )
    # Alerts are checked on arrival, not on a timer, so a spike is known seconds after it starts.
    on_mentions_stored(workspace.pk, [m.pk for m in stored])
    return stored


def _store(mentions: list[Mention]) -> list[Mention]:
    try:
        with transaction.atomic():
            return Mention.objects.bulk_create(mentions)
    except IntegrityError:
        pass  # another worker stored one of them a moment ago: keep the others, one by one
    stored = []
    for mention in mentions:
        try:
            with transaction.atomic():
                mention.save()
        except IntegrityError:
            continue
        stored.append(mention)
    return stored


def _match(workspace: Workspace, mentions: list[Mention], items: dict[int, Collected]) -> None:
    matcher = matcher_for(workspace.pk)
    if not matcher.ids or not mentions:
        return
    # Matched as stored (title and text, the stored language), as the preview matches them.
    found = matcher.match_batch(
        [text_of(mention) for mention in mentions],
        [mention.language for mention in mentions],
        [mention.author_handle for mention in mentions],
        [mention.url for mention in mentions],
        [items[id(mention)].hashtags for mention in mentions],
    )
    rows = [
        MentionMatch(
            monitor_id=int(monitor_id),  # type: ignore[call-overload]
            mention=mention,
            published_at=mention.published_at,
            language=mention.language,
            sentiment=mention.sentiment,
        )
        for mention, monitor_ids in zip(mentions, found, strict=True)
        for monitor_id in monitor_ids
    ]
    MentionMatch.objects.bulk_create(rows, ignore_conflicts=True)


def text_of(mention: Mention) -> str:
    return mention.title + "\n" + mention.text if mention.title else mention.text


def post_of(mention: Mention) -> Post:
    """How a stored mention is matched (the preview tries monitors on stored mentions)."""
    return Post(
        text_of(mention), lang=mention.language, author=mention.author_handle, url=mention.url
    )
