"""A failing source keeps a stable kind of error, shown as a translated sentence on the sources
page, with the connector's raw (often English) detail beside it as secondary text."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from kalrav.channels.models import Channel, ChannelState
from kalrav.connectors.errors import (
    AuthExpired,
    BlockedAddress,
    ConnectorError,
    RateLimited,
    Rejected,
    Transient,
)
from kalrav.listening.models import Source, SourceErrorKind, SourceKind, SourceState
from kalrav.listening.sources import health, network
from kalrav.listening.sources.feeds import MAX_BYTES, FeedError
from kalrav.listening.sources.streams import CannotStream, count_reconnect
from kalrav.listening.tasks import run_source
from kalrav.listening.tests.test_sources import feed_server  # noqa: F401

pytestmark = pytest.mark.django_db

K = SourceErrorKind


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (Transient("GET news.example timed out: ReadTimeout"), K.TIMEOUT),
        (Transient("GET news.example failed: ConnectError"), K.UNREACHABLE),
        (Transient("Cannot resolve news.example: Name or service not known"), K.UNREACHABLE),
        (Transient("news.example: HTTP 503: Service Unavailable"), K.SERVER_ERROR),
        (TimeoutError(), K.TIMEOUT),
        (Rejected("Not Found"), K.REFUSED),
        (BlockedAddress("points to a private address"), K.BLOCKED),
        (RateLimited("Slow down", retry_after=30), K.RATE_LIMITED),
        (AuthExpired("token revoked"), K.AUTH),
        (FeedError(K.TOO_LARGE, "6 MB"), K.TOO_LARGE),
        (CannotStream(K.NO_STREAM), K.NO_STREAM),
        (ConnectorError("something new"), K.OTHER),
        (ValueError("bug"), K.OTHER),
    ],
)
def test_each_failure_has_a_kind(error, kind):
    assert health.kind_of(error) == kind


def test_a_feed_too_large_is_its_own_kind(workspace, feed_server):  # noqa: F811
    feed_server.body = b"<rss>" + b" " * (MAX_BYTES + 1) + b"</rss>"
    source = Source.objects.create(workspace=workspace, kind=SourceKind.FEED, url=feed_server.url)
    run_source(source.pk)
    source.refresh_from_db()
    assert source.state == SourceState.FAILING and source.error_kind == K.TOO_LARGE
    assert str(MAX_BYTES + 6 + 6) in source.last_error  # the size it was


def test_a_broken_channel_is_named_not_spelled_in_english(workspace):
    channel = Channel.objects.create(
        workspace=workspace, network="mastodon", name="Brand", state=ChannelState.NEEDS_RECONNECT
    )
    source = Source.objects.create(workspace=workspace, kind=SourceKind.NETWORK, channel=channel)
    network.search(source)
    source.refresh_from_db()
    assert source.error_kind == K.CHANNEL_DOWN and source.last_error == ""


def test_a_stream_error_keeps_kind_and_detail(workspace):
    source = Source.objects.create(
        workspace=workspace, kind=SourceKind.FEED, url="https://a.example/f"
    )
    count_reconnect(source.pk, Transient("stream.example timed out: ReadTimeout"))
    source.refresh_from_db()
    assert source.error_kind == K.TIMEOUT and "ReadTimeout" in source.last_error
    # Not a connector's error: only its type's name, never its message (may hold internals).
    count_reconnect(source.pk, ValueError("secret=abc"))
    source.refresh_from_db()
    assert source.error_kind == K.OTHER and source.last_error == "ValueError"
    # A source that cannot stream at all: the kind says it all, no English detail.
    count_reconnect(source.pk, CannotStream(K.CHANNEL_DOWN))
    source.refresh_from_db()
    assert source.error_kind == K.CHANNEL_DOWN and source.last_error == ""


@pytest.fixture
def _back_to_english():
    yield
    translation.deactivate()  # the request activated the reader's language in this thread


@pytest.mark.usefixtures("_back_to_english")
@pytest.mark.parametrize("language", ["en", "hi", "el"])
def test_the_sources_page_says_the_kind_in_the_reader_language(workspace, member_client, language):
    Source.objects.create(
        workspace=workspace,
        kind=SourceKind.FEED,
        url="https://news.example/feed.xml",
        state=SourceState.FAILING,
        failures=2,
        error_kind=K.TIMEOUT,
        last_error="GET news.example timed out: ReadTimeout",
    )
    client = member_client("manager")
    client.cookies["django_language"] = language
    html = client.get(
        reverse("listening:sources", kwargs={"ws": workspace.slug}),
        headers={"accept-language": language},
    ).content.decode()
    assert "GET news.example timed out: ReadTimeout" in html  # the raw detail, secondary
    english = "The address took too long to answer."
    assert (english in html) == (language == "en")
