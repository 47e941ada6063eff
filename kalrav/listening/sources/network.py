"""Network search: each connected channel whose connector can search (the `ListeningSource`
capability) is asked for every active monitor's words on a schedule.

Public posts as they are made come from stream sources (streams.py, the connectors'
`PublicStreamer`), which a workspace adds on the sources page; search is the backstop beside them
and the only source on networks without a public stream. Each run asks for the newest page of
each search; intake drops what it has.
Cursors are not kept: Bluesky's continues a search further back in time, not forward.
"""

from __future__ import annotations

import re
from datetime import timedelta

from kalrav.channels import services as channels
from kalrav.channels.models import Channel
from kalrav.connectors.base import IncomingItem, ListeningSource, opened
from kalrav.connectors.errors import ConnectorError
from kalrav.listening.intake import Collected, take
from kalrav.listening.models import Monitor, Source, SourceErrorKind, SourceKind
from kalrav.listening.query import QuerySyntaxError, parse
from kalrav.listening.query.tree import (
    And,
    Hashtag,
    Mention,
    Near,
    Node,
    Or,
    Phrase,
    Term,
    Wildcard,
)

from . import health

EVERY = timedelta(minutes=2)
TERMS_PER_MONITOR = 5
TERMS_PER_RUN = 30


def search_terms(node: Node, *, stream: bool = False) -> list[str]:
    """What to type into a network's search box for a query: its positive words, phrases,
    tags and handles (the matcher then applies the whole query to what comes back).

    For a stream's prefilter (`stream=True`, a lowercase substring test) a wildcard gives the
    letters before its first `*` or `?` when there are at least three, so `chai*` still lets
    "chaiwala" through; a search box would take such a prefix for a whole word."""
    if stream and isinstance(node, Wildcard):
        prefix = re.split(r"[*?]", node.pattern, maxsplit=1)[0]
        return [prefix] if len(prefix) >= 3 else []
    if isinstance(node, Term):
        return [node.word]
    if isinstance(node, Phrase):
        return ['"' + " ".join(node.words) + '"']
    if isinstance(node, Hashtag):
        return ["#" + node.name]
    if isinstance(node, Mention):
        return ["@" + node.handle]
    if isinstance(node, Near):
        return search_terms(node.left, stream=stream)[:1]
    if isinstance(node, And | Or):
        found: list[str] = []
        for operand in node.operands:
            found += search_terms(operand, stream=stream)
        return found
    return []  # NOT, fields and wildcards cannot be searched for


def workspace_terms(workspace_id: int, *, stream: bool = False) -> list[str]:
    """The words to search for, a few per monitor and TERMS_PER_RUN in all (each is a call to the
    network); for a stream's prefilter (`stream=True`) every word of every monitor, since a word
    left out there means posts dropped unseen, and testing a post against all of them is cheap."""
    terms: dict[str, None] = {}
    for query in Monitor.objects.filter(workspace_id=workspace_id, is_active=True).values_list(
        "query", flat=True
    ):
        try:
            tree = parse(query)
        except QuerySyntaxError:
            continue
        found = search_terms(tree, stream=stream)
        for term in found if stream else found[:TERMS_PER_MONITOR]:
            terms.setdefault(term, None)
    return list(terms) if stream else list(terms)[:TERMS_PER_RUN]


def collected(item: IncomingItem, network: str) -> Collected:
    return Collected(
        text=item.text,
        published_at=item.created_at,
        url=item.url,
        network=network,
        remote_id=item.remote_id,
        author_handle=item.author.handle or item.author.remote_id,
        author_name=item.author.display_name,
        author_url=item.author.url,
        language=item.language,
    )


def can_search(channel: Channel) -> bool:
    with opened(channels.connector_for(channel)) as connector:
        return isinstance(connector, ListeningSource)


def search(source: Source) -> int:
    """Run every monitor's searches on the source's channel; returns how many mentions are new."""
    channel = source.channel
    if channel is None or not channel.can_work:
        health.failed(source, SourceErrorKind.CHANNEL_DOWN)
        return 0
    terms = workspace_terms(source.workspace_id)
    new = 0
    try:
        with opened(channels.connector_for(channel)) as connector:
            if not isinstance(connector, ListeningSource):
                health.failed(source, SourceErrorKind.CANNOT_SEARCH, channel.network)
                return 0
            for term in terms:
                page = connector.search(term, None)
                items = [collected(item, channel.network) for item in page.items]
                new += len(take(source.workspace, source, items))
    except ConnectorError as error:
        health.failed(source, health.kind_of(error), str(error))
        return new
    health.succeeded(source, EVERY)
    return new


def ensure_network_sources(workspace_id: int) -> int:
    """A search source for each of the workspace's channels that can search; returns how many
    were added."""
    added = 0
    have = set(
        Source.objects.filter(workspace_id=workspace_id, kind=SourceKind.NETWORK).values_list(
            "channel_id", flat=True
        )
    )
    for channel in Channel.objects.filter(workspace_id=workspace_id).exclude(pk__in=have):
        try:
            searchable = can_search(channel)
        except (ConnectorError, KeyError, ValueError):
            continue
        if searchable:
            Source.objects.get_or_create(
                workspace_id=workspace_id,
                kind=SourceKind.NETWORK,
                channel=channel,
                defaults={"title": str(channel)},
            )
            added += 1
    return added
