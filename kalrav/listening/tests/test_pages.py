"""The listening pages: monitors with the query preview, the mentions list with its filters,
bulk actions and CSV export, sending a mention to the inbox, and the sources page."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from kalrav.channels.models import Channel, ChannelState
from kalrav.connectors.base import Author, IncomingItem, ItemKind, Page
from kalrav.inbox.models import Conversation, Message
from kalrav.listening.intake import Collected, take
from kalrav.listening.intake.matching import forget
from kalrav.listening.models import Mention, Monitor, Source, SourceKind
from kalrav.listening.sources import network

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_matchers():
    forget()
    yield
    forget()


@pytest.fixture
def manager(member_client):
    return member_client("manager")


def url(name: str, workspace, **kwargs) -> str:
    return reverse(f"listening:{name}", kwargs={"ws": workspace.slug, **kwargs})


def collect(workspace, rows, source=None, site="n.example"):
    now = timezone.now()
    return take(
        workspace,
        source,
        [
            Collected(
                text=text,
                url=f"https://{site}/{index}",
                author_handle=f"{site}-{index}",
                published_at=now - timedelta(days=days),
                language=lang,
            )
            for index, (text, lang, days) in enumerate(rows)
        ],
    )


def test_saving_a_monitor_checks_the_query(manager, workspace):
    response = manager.post(
        url("monitor-new", workspace), {"name": "Tea", "query": "tea AND (chai", "kind": "brand"}
    )
    assert response.status_code == 400
    assert "tea AND (chai" in response.content.decode()
    assert not Monitor.objects.exists()
    response = manager.post(
        url("monitor-new", workspace),
        {"name": "Tea", "query": "tea OR চা", "kind": "competitor", "is_active": "on"},
    )
    assert response.status_code == 302
    monitor = Monitor.objects.get()
    assert (monitor.kind, monitor.is_active, monitor.workspace) == ("competitor", True, workspace)
    page = manager.get(url("monitors", workspace)).content.decode()
    assert "tea OR চা" in page and "Competitor" in page


def test_the_preview_points_at_the_error(manager, workspace):
    response = manager.get(url("preview", workspace), {"query": "চা AND NEAR/2 tea"})
    html = response.content.decode()
    assert 'data-preview="error"' in html
    assert "NEAR" in response.context["error"]["message"]
    pointer = html.split('<pre class="query-pointer"', 1)[1].split("</pre>", 1)[0]
    # "চা" is two code points but one character on screen: NEAR starts at the 7th.
    assert 'data-column="7"' in pointer
    assert ">চা AND <mark>N</mark>EAR/2 tea\n" in pointer
    assert '<span class="pad" aria-hidden="true">চা AND </span>' in pointer
    html = manager.get(url("preview", workspace), {"query": '"tea'}).content.decode()
    assert 'data-column="1"' in html and "<mark>&quot;</mark>tea" in html


def test_the_preview_counts_matches_of_the_last_days(manager, workspace):
    collect(
        workspace,
        [
            ("Masala chai at the station", "en", 1),
            ("chai again today", "en", 2),
            ("chai from last month", "en", 20),
            ("coffee only", "en", 1),
        ],
    )
    html = manager.get(url("preview", workspace), {"query": "chai NOT station"}).content.decode()
    assert "1 mention in the last 7 days" in html
    assert "chai again today" in html and "Masala" not in html and "last month" not in html
    html = manager.get(url("preview", workspace), {"query": "chai"}).content.decode()
    assert "2 mentions in the last 7 days" in html


def test_mentions_are_filtered(manager, workspace):
    monitor = Monitor.objects.create(workspace=workspace, name="Chai", query="chai OR চা")
    source = Source.objects.create(
        workspace=workspace, kind=SourceKind.FEED, url="https://f.example/"
    )
    collect(
        workspace,
        [
            ("I love this chai, wonderful", "en", 1),
            ("This chai was terrible and cold, awful", "en", 1),
            ("আজ চা খেলাম", "bn", 1),
            ("unrelated words", "en", 1),
            ("chai long ago", "en", 40),
        ],
    )
    collect(workspace, [("chai in the news feed today", "en", 0)], source=source, site="f.example")

    def texts(**params) -> set[str]:
        response = manager.get(url("mentions", workspace), params)
        return {m.text for m in response.context["page"].object_list}

    assert len(texts()) == 5
    assert texts(monitor=monitor.pk) == {
        "I love this chai, wonderful",
        "This chai was terrible and cold, awful",
        "আজ চা খেলাম",
        "chai in the news feed today",
    }
    assert texts(language="bn") == {"আজ চা খেলাম"}
    assert texts(sentiment="negative") == {"This chai was terrible and cold, awful"}
    assert texts(source=source.pk) == {"chai in the news feed today"}
    assert texts(q="UNRELATED") == {"unrelated words"}
    assert "chai long ago" in texts(period="")
    assert texts(period="1", q="long ago") == set()


def test_csv_export_streams_the_filtered_set(manager, workspace):
    collect(workspace, [("=HYPERLINK(1) chai", "en", 1), ("আজ চা", "bn", 1), ("tea", "en", 1)])
    response = manager.get(url("export", workspace), {"language": "en"})
    assert response.streaming and response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode("utf-8").lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert {row["text"] for row in rows} == {"'=HYPERLINK(1) chai", "tea"}
    assert all(row["language"] == "en" for row in rows)


def test_bulk_actions(manager, workspace):
    mentions = collect(workspace, [("one", "en", 1), ("two", "en", 1), ("three", "en", 1)])
    ids = [str(m.pk) for m in mentions]
    manager.post(url("bulk", workspace), {"action": "read", "mention": ids[:2]})
    assert Mention.objects.filter(is_read=True).count() == 2
    manager.post(url("bulk", workspace), {"action": "hide", "mention": ids[:1]})
    listed = manager.get(url("mentions", workspace)).context["page"].object_list
    assert {m.text for m in listed} == {"two", "three"}
    manager.post(url("bulk", workspace), {"action": "delete", "mention": ids[2:]})
    assert set(Mention.objects.values_list("text", flat=True)) == {"one", "two"}


def test_send_to_inbox_makes_one_conversation(manager, workspace):
    Channel.objects.create(workspace=workspace, network="bluesky", name="Brand")
    mention = collect(workspace, [("The delivery was late and the tea was awful", "en", 1)])[0]
    response = manager.post(url("mention-inbox", workspace, mention_id=mention.pk))
    conversation = Conversation.objects.get()
    assert response.status_code == 302 and str(conversation.pk) in response["Location"]
    assert conversation.kind == "mention" and conversation.sentiment == "negative"
    manager.post(url("mention-inbox", workspace, mention_id=mention.pk))
    manager.post(url("bulk", workspace), {"action": "inbox", "mention": [str(mention.pk)]})
    assert Conversation.objects.count() == 1 and Message.objects.count() == 1
    mention.refresh_from_db()
    assert mention.conversation == conversation
    # Even if the link were lost, the inbox finds its own message again.
    Mention.objects.filter(pk=mention.pk).update(conversation=None)
    manager.post(url("mention-inbox", workspace, mention_id=mention.pk))
    assert Conversation.objects.count() == 1


def test_send_to_inbox_without_channels_says_what_to_do(manager, workspace):
    mention = collect(workspace, [("hello", "en", 1)])[0]
    response = manager.post(url("mention-inbox", workspace, mention_id=mention.pk), follow=True)
    assert "Connect a channel first" in response.content.decode()
    assert not Conversation.objects.exists()


def test_opening_a_mention_marks_it_read(manager, workspace, django_capture_on_commit_callbacks):
    mention = collect(workspace, [("A very good cup of tea", "en", 1)])[0]
    with django_capture_on_commit_callbacks(execute=True):
        response = manager.get(url("mention", workspace, mention_id=mention.pk))
    assert response.status_code == 200
    mention.refresh_from_db()
    assert mention.is_read is True
    assert mention.quality_sentiment in ("positive", "neutral", "negative")


def test_other_workspaces_mentions_are_not_reachable(manager, workspace, outsider):
    from kalrav.workspaces import services
    from kalrav.workspaces.audit import Actor

    other = services.create_workspace(outsider, Actor(user=outsider), name="Other", time_zone="UTC")
    foreign = collect(other, [("secret chai", "en", 1)])[0]
    assert manager.get(url("mention", workspace, mention_id=foreign.pk)).status_code == 404
    manager.post(url("bulk", workspace), {"action": "delete", "mention": [str(foreign.pk)]})
    assert Mention.objects.filter(pk=foreign.pk).exists()
    assert "secret chai" not in manager.get(url("mentions", workspace)).content.decode()


def test_sources_page_and_opml_upload(manager, workspace):
    html = manager.get(url("sources", workspace)).content.decode()
    assert "No sources yet" in html
    opml = SimpleUploadedFile(
        "feeds.opml",
        b'<opml><body><outline text="Tea" xmlUrl="https://93.184.215.14/tea.xml"/></body></opml>',
    )
    response = manager.post(url("opml", workspace), {"file": opml}, follow=True)
    assert "1 feed added." in response.content.decode()
    source = Source.objects.get()
    bad = SimpleUploadedFile("feeds.opml", b"<html>nope")
    response = manager.post(url("opml", workspace), {"file": bad}, follow=True)
    assert "XML is broken" in response.content.decode()
    manager.post(url("source-state", workspace, source_id=source.pk), {"action": "pause"})
    source.refresh_from_db()
    assert source.state == "paused"
    html = manager.get(url("sources", workspace)).content.decode()
    assert "Resume" in html


class SearchingConnector:
    """A network that answers search with a fixed page, as a real one returns its newest."""

    def __init__(self, posts):
        self.posts = posts
        self.asked: list[str] = []

    def search(self, query, since):
        self.asked.append(query)
        items = tuple(
            IncomingItem(
                kind=ItemKind.MENTION,
                remote_id=f"at://{n}",
                author=Author(remote_id=f"did:{n}", handle=f"user{n}.bsky.social"),
                text=text,
                created_at=datetime(2026, 12, 7, 6, 0, tzinfo=UTC),
                url=f"https://bsky.app/profile/user{n}/post/{n}",
                language="hi",
            )
            for n, text in enumerate(self.posts)
            if any(word in text for word in query.strip('"#').split())
        )
        return Page(items=items, cursor=None)


def test_network_search_uses_each_monitors_words(workspace, monkeypatch):
    channel = Channel.objects.create(
        workspace=workspace, network="bluesky", name="Brand", state=ChannelState.ACTIVE
    )
    Monitor.objects.create(
        workspace=workspace, name="Chai", query='"मसाला चाय" OR #chai NOT coffee'
    )
    fake = SearchingConnector(["मसाला चाय सबसे अच्छी", "coffee with #chai", "nothing here"])
    monkeypatch.setattr(network.channels, "connector_for", lambda _channel: fake)
    assert network.ensure_network_sources(workspace.pk) == 1
    source = Source.objects.get(kind=SourceKind.NETWORK, channel=channel)
    assert network.search(source) == 2
    assert fake.asked == ['"मसाला चाय"', "#chai"]
    matched = Mention.objects.filter(matches__isnull=False)
    assert [m.text for m in matched] == ["मसाला चाय सबसे अच्छी"]
    assert Mention.objects.get(remote_id="at://0").network == "bluesky"
    source.refresh_from_db()
    assert source.state == "ok" and source.next_fetch_at > timezone.now()
    assert network.search(source) == 0  # the same posts again: nothing new


def test_a_saved_monitor_is_matched_against_recent_mentions(
    manager, workspace, django_capture_on_commit_callbacks
):
    collect(
        workspace,
        [("chai at dawn", "en", 2), ("chai last year", "en", 400), ("coffee", "en", 1)],
    )
    with django_capture_on_commit_callbacks(execute=True):
        manager.post(
            url("monitor-new", workspace),
            {"name": "Chai", "query": "chai", "kind": "brand", "is_active": "on"},
        )
    monitor = Monitor.objects.get()
    assert [m.mention.text for m in monitor.matches.all()] == ["chai at dawn"]
    assert "1 mention" in manager.get(url("monitors", workspace)).content.decode()
    # Changing the query replaces the matches in the window.
    with django_capture_on_commit_callbacks(execute=True):
        manager.post(
            url("monitor-edit", workspace, monitor_id=monitor.pk),
            {"name": "Coffee", "query": "coffee", "kind": "brand", "is_active": "on"},
        )
    assert [m.mention.text for m in monitor.matches.all()] == ["coffee"]
