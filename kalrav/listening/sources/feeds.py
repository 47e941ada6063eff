"""RSS and Atom feeds: fetched with a conditional GET (a 304 costs one small request and no
parsing), parsed by feedparser, each entry handed to intake as a mention."""

from __future__ import annotations

import calendar
import html
from datetime import UTC, datetime, timedelta

import feedparser
from django.utils import timezone
from django.utils.html import strip_tags

from kalrav.connectors.errors import ConnectorError
from kalrav.connectors.http import HttpClient
from kalrav.listening.intake import Collected, take
from kalrav.listening.models import Source, SourceErrorKind

from . import health

# News sites update within minutes; asking more often than this mostly earns 304s.
EVERY = timedelta(minutes=15)
# A feed larger than this is not a feed (or is a site's whole archive).
MAX_BYTES = 5 * 1024 * 1024
FETCH_TIMEOUT = 20.0


class FeedError(Exception):
    """A feed that answered but cannot be read; `kind` says why (health.kind_of)."""

    def __init__(self, kind: SourceErrorKind, detail: str = "") -> None:
        super().__init__(detail or kind.label)
        self.kind = kind
        self.detail = detail


def _plain(value: str) -> str:
    return html.unescape(strip_tags(value or "")).strip()


def _when(entry: feedparser.FeedParserDict) -> datetime:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = entry.get(key)
        if parsed:
            return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
    return timezone.now()


def entries(content: bytes, content_type: str = "") -> tuple[str, list[Collected]]:
    """The feed's title and its entries as collected items; FeedError when it is not a feed."""
    parsed = feedparser.parse(content, response_headers={"content-type": content_type})
    if parsed.bozo and not parsed.entries:
        problem = parsed.get("bozo_exception")
        raise FeedError(SourceErrorKind.NOT_A_FEED, str(problem))
    if not parsed.get("version") and not parsed.entries:
        raise FeedError(SourceErrorKind.NOT_A_FEED)
    feed = parsed.feed
    language = (feed.get("language") or "").split("-", 1)[0].casefold()[:8]
    items = []
    for entry in parsed.entries:
        text = _plain(entry.get("summary", ""))
        if not text and entry.get("content"):
            text = _plain(entry.content[0].get("value", ""))
        author = entry.get("author", "") or feed.get("author", "")
        items.append(
            Collected(
                text=text,
                title=_plain(entry.get("title", "")),
                url=entry.get("link", ""),
                published_at=_when(entry),
                network="web",
                remote_id=entry.get("id", "")[:255],
                author_name=author,
                author_handle=author,
                author_url=(entry.get("author_detail") or {}).get("href", "")
                or feed.get("link", ""),
                language=language,
                hashtags=tuple(tag.get("term", "") for tag in entry.get("tags", []) or []),
            )
        )
    return _plain(feed.get("title", "")), items


def fetch(source: Source, client: HttpClient | None = None) -> int:
    """Fetch one feed now and store its new entries; returns how many mentions are new. The
    outcome (and the wait before the next try) is written on the source."""
    headers = {"Accept": "application/rss+xml, application/atom+xml, application/xml, */*"}
    if source.etag:
        headers["If-None-Match"] = source.etag
    if source.last_modified:
        headers["If-Modified-Since"] = source.last_modified
    own = client is None
    client = client or HttpClient(retries=0, timeout=FETCH_TIMEOUT)
    try:
        response = client.get(source.url, headers=headers)
        if response.status_code == 304:
            health.succeeded(source, EVERY)
            return 0
        if len(response.content) > MAX_BYTES:
            raise FeedError(SourceErrorKind.TOO_LARGE, f"{len(response.content)} bytes")
        title, items = entries(response.content, response.headers.get("content-type", ""))
    except FeedError as error:
        health.failed(source, error.kind, error.detail)
        return 0
    except ConnectorError as error:
        health.failed(source, health.kind_of(error), str(error))
        return 0
    finally:
        if own:
            client.close()
    new = take(source.workspace, source, items)
    health.succeeded(
        source,
        EVERY,
        etag=response.headers.get("etag", "")[:255],
        last_modified=response.headers.get("last-modified", "")[:64],
        title=source.title or title[:255],
    )
    return len(new)
