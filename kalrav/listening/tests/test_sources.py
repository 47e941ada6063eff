"""Sources: a real feed from a local HTTP server (conditional GET, 304), backoff after failures,
claiming, OPML import, and network search through a connector's `search`."""

from __future__ import annotations

import threading
from datetime import timedelta
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from kalrav.listening.models import (
    Mention,
    Monitor,
    Source,
    SourceErrorKind,
    SourceKind,
    SourceState,
)
from kalrav.listening.sources import health, network
from kalrav.listening.sources.opml import OpmlError, feed_urls, import_opml
from kalrav.listening.tasks import collect_due, run_source

pytestmark = pytest.mark.django_db

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Tea Times</title><link>http://tea.example/</link>
<language>bn</language>
<item><title>নতুন চা বাজারে</title><link>http://tea.example/1?utm_source=rss</link>
<description>&lt;p&gt;দার্জিলিং চা এখন সস্তা&lt;/p&gt;</description><guid>1</guid>
<pubDate>Mon, 07 Dec 2026 06:00:00 GMT</pubDate><author>editor@tea.example</author></item>
<item><title>Second</title><link>http://tea.example/2</link><description>Green tea prices fall</description>
<guid>2</guid></item>
</channel></rss>"""
LAST_MODIFIED = formatdate(1_765_000_000, usegmt=True)


class FeedServer:
    """Serves one feed with an ETag and Last-Modified, answering 304 when they match, or a
    status of our choosing; it counts what it served."""

    def __init__(self) -> None:
        self.body = RSS.encode()
        self.status = 200
        self.served: list[int] = []
        self.seen_headers: list[dict[str, str]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.seen_headers.append(dict(self.headers))
                if outer.status != 200:
                    outer.served.append(outer.status)
                    self.send_response(outer.status)
                    self.end_headers()
                    return
                if self.headers.get("If-None-Match") == '"v1"' or (
                    self.headers.get("If-Modified-Since") == LAST_MODIFIED
                ):
                    outer.served.append(304)
                    self.send_response(304)
                    self.end_headers()
                    return
                outer.served.append(200)
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("ETag", '"v1"')
                self.send_header("Last-Modified", LAST_MODIFIED)
                self.send_header("Content-Length", str(len(outer.body)))
                self.end_headers()
                self.wfile.write(outer.body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/feed.xml"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def feed_server(settings):
    settings.ALLOW_PRIVATE_ADDRESSES = True  # the server is on loopback
    server = FeedServer()
    yield server
    server.close()


def test_a_feed_is_read_then_asked_again_conditionally(workspace, feed_server):
    source = Source.objects.create(workspace=workspace, kind=SourceKind.FEED, url=feed_server.url)
    assert run_source(source.pk) == 2
    source.refresh_from_db()
    assert (source.state, source.etag, source.last_modified) == ("ok", '"v1"', LAST_MODIFIED)
    assert source.title == "Tea Times"
    assert source.next_fetch_at > timezone.now() + timedelta(minutes=14)
    mention = Mention.objects.get(url__endswith="/1?utm_source=rss")
    assert mention.title == "নতুন চা বাজারে" and mention.text == "দার্জিলিং চা এখন সস্তা"
    assert mention.language == "bn" and mention.source == source

    Source.objects.filter(pk=source.pk).update(next_fetch_at=timezone.now())
    assert collect_due() == 0
    assert feed_server.served == [200, 304]
    assert feed_server.seen_headers[1]["If-None-Match"] == '"v1"'
    assert feed_server.seen_headers[1]["If-Modified-Since"] == LAST_MODIFIED
    assert Mention.objects.count() == 2


def test_a_failing_feed_backs_off_doubling_and_recovers(workspace, feed_server):
    feed_server.status = 500
    source = Source.objects.create(workspace=workspace, kind=SourceKind.FEED, url=feed_server.url)
    before = timezone.now()
    run_source(source.pk)
    source.refresh_from_db()
    assert source.state == SourceState.FAILING and source.failures == 1
    assert source.error_kind == SourceErrorKind.SERVER_ERROR and "500" in source.last_error
    assert timedelta(seconds=29) < source.next_fetch_at - before < timedelta(seconds=35)
    # Not due yet: the periodic run leaves it alone.
    assert collect_due() == 0 and feed_server.served == [500]
    run_source(source.pk)
    source.refresh_from_db()
    assert source.failures == 2
    assert timedelta(seconds=59) < source.next_fetch_at - timezone.now() <= timedelta(seconds=60)
    assert health.wait_after(30) == timedelta(hours=6)
    feed_server.status = 200
    assert run_source(source.pk) == 2
    source.refresh_from_db()
    assert (source.state, source.failures, source.last_error) == ("ok", 0, "")
    assert source.error_kind == ""


def test_not_a_feed_is_a_failure_with_a_reason(workspace, feed_server):
    feed_server.body = b"<html><body>Just a page</body></html>"
    source = Source.objects.create(workspace=workspace, kind=SourceKind.FEED, url=feed_server.url)
    run_source(source.pk)
    source.refresh_from_db()
    assert source.state == SourceState.FAILING and source.error_kind == SourceErrorKind.NOT_A_FEED


def test_private_addresses_are_refused_outside_tests(workspace, settings):
    settings.ALLOW_PRIVATE_ADDRESSES = False
    source = Source.objects.create(
        workspace=workspace, kind=SourceKind.FEED, url="http://127.0.0.1:9/feed.xml"
    )
    run_source(source.pk)
    source.refresh_from_db()
    assert source.state == SourceState.FAILING and "private" in source.last_error
    assert source.error_kind == SourceErrorKind.BLOCKED


def test_one_worker_holds_a_source_at_a_time(workspace):
    source = Source.objects.create(
        workspace=workspace, kind=SourceKind.FEED, url="https://a.example/f"
    )
    assert health.claim(source.pk) is True
    assert health.claim(source.pk) is False
    assert run_source(source.pk) == 0  # held: nothing fetched, nothing recorded
    source.refresh_from_db()
    assert source.last_fetched_at is None
    Source.objects.filter(pk=source.pk).update(claimed_until=timezone.now() - timedelta(seconds=1))
    assert health.claim(source.pk) is True
    health.pause(source)
    Source.objects.filter(pk=source.pk).update(claimed_until=None)
    assert health.claim(source.pk) is False  # paused sources are never fetched


OPML = b"""<?xml version="1.0"?><opml version="2.0"><head><title>Reader</title></head><body>
<outline text="News"><outline text="Tea Times" type="rss" xmlUrl="https://93.184.215.14/tea.xml"/>
<outline text="Blog" xmlUrl="https://93.184.215.15/blog.atom"/></outline>
<outline text="Bad" xmlUrl="ftp://files.example/feed"/>
<outline text="Inside" xmlUrl="http://10.0.0.5/feed"/>
</body></opml>"""


def test_opml_import_creates_feeds_and_says_what_it_refused(workspace):
    result = import_opml(workspace, OPML)
    assert sorted(s.url for s in result.created) == [
        "https://93.184.215.14/tea.xml",
        "https://93.184.215.15/blog.atom",
    ]
    assert [url for url, _why in result.refused] == [
        "ftp://files.example/feed",
        "http://10.0.0.5/feed",
    ]
    assert "private" in result.refused[1][1]
    assert Source.objects.get(url__endswith="tea.xml").title == "Tea Times"
    again = import_opml(workspace, OPML)
    assert again.created == [] and again.already == 2


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"not xml at all <", "XML is broken"),
        (b"<rss><channel/></rss>", "not OPML"),
        (b"<opml><body><outline text='x'/></body></opml>", "no outline has an xmlUrl"),
        (b'<!DOCTYPE opml [<!ENTITY a "aaaa">]><opml/>', "DOCTYPE"),
    ],
)
def test_bad_opml_files_get_a_clear_error(content, words):
    with pytest.raises(OpmlError, match=words):
        feed_urls(content)


def test_a_stream_listens_for_every_word_of_every_monitor_and_a_search_for_a_few(workspace):
    for i in range(40):
        Monitor.objects.create(workspace=workspace, name=f"m{i}", query=f"word{i} OR other{i}")
    Monitor.objects.create(workspace=workspace, name="wild", query="chai* AND lang:bn")
    Monitor.objects.create(workspace=workspace, name="short", query="ab*")
    searched = network.workspace_terms(workspace.pk)
    streamed = network.workspace_terms(workspace.pk, stream=True)
    assert len(searched) == network.TERMS_PER_RUN  # each is a call to the network
    # A word left out of a stream's prefilter is a post dropped unseen: none is left out, and a
    # wildcard gives its first letters (three at least) so "chaiwala" still gets through.
    assert {f"word{i}" for i in range(40)} | {f"other{i}" for i in range(40)} <= set(streamed)
    assert "chai" in streamed and "ab" not in streamed and "chai" not in searched
