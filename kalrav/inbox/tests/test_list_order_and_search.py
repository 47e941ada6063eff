"""The inbox list's order and search, pinned where the scale work (bench/inbox_scale.py) changed
how they are computed: pages read in two walks, searches found three ways."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import regex
from django.db import connection

from kalrav.channels.models import Channel
from kalrav.inbox import planner, search
from kalrav.inbox.listing import PAGE_SIZE, RowsPage
from kalrav.inbox.models import Conversation, Message
from kalrav.inbox.ordering import order

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def channel(workspace):
    return Channel.objects.create(workspace=workspace, network="bluesky", name="Brand")


def _conversations(workspace, channel, count: int) -> list[Conversation]:
    """`count` conversations with many equal keys: a third without a deadline, deadlines that
    share the same minute (as a night's messages share the next morning's), equal times."""
    rows = []
    for n in range(count):
        due = None if n % 3 == 0 else NOW + timedelta(minutes=(n * 7) % 5)
        rows.append(
            Conversation(
                workspace=workspace,
                channel=channel,
                root_remote_id=f"t{n}",
                kind="comment",
                excerpt=f"row-{n:03d}",
                state="open" if n % 4 else "new",
                priority=(1, 2, 1, 3, 0)[n % 5],
                first_response_due=due,
                last_message_at=NOW - timedelta(minutes=(n * 11) % 4),
            )
        )
    Conversation.objects.bulk_create(rows)
    return list(Conversation.objects.filter(workspace=workspace))


def _expected_due_order(rows: list[Conversation]) -> list[int]:
    def key(c: Conversation):
        due = c.first_response_due
        return (
            due is None,
            due or NOW,
            -c.priority,
            -c.last_message_at.timestamp(),
            -c.pk,
        )

    return [c.pk for c in sorted(rows, key=key)]


def test_time_left_order_is_the_same_in_pages_as_in_one_read(workspace, channel):
    rows = _conversations(workspace, channel, 40)
    expected = _expected_due_order(rows)
    ordered = order(Conversation.objects.filter(workspace=workspace), "due")

    def page(start: int, stop: int) -> list[int]:
        return [c.pk for c in ordered.all()[start:stop]]  # .all(): a fresh read, no cache

    assert [c.pk for c in ordered.all()] == expected, "the database's own NULLS LAST order"
    for size in (1, 7, 13, 26, 40, 41):
        paged = []
        for start in range(0, 45, size):
            paged += page(start, start + size)
        assert paged == expected, f"pages of {size} repeat or skip no row"
    # A page wholly past the last deadline starts at the right place among the rows without one.
    with_deadline = sum(1 for c in rows if c.first_response_due)
    assert page(with_deadline + 2, with_deadline + 5) == expected[with_deadline + 2 :][:3]
    assert page(50, 60) == []
    assert ordered.count() == 40 and ordered.filter(priority=3).count() == 8, (
        "filtering and counting the ordered list still work"
    )
    assert ordered.all()[3].pk == expected[3]


def test_default_order_is_priority_then_newest_then_id(workspace, channel):
    rows = _conversations(workspace, channel, 30)
    expected = [
        c.pk
        for c in sorted(rows, key=lambda c: (-c.priority, -c.last_message_at.timestamp(), -c.pk))
    ]
    ordered = order(Conversation.objects.filter(workspace=workspace), "")
    assert [c.pk for c in ordered.all()[0:10]] + [c.pk for c in ordered.all()[10:30]] == expected


def test_the_inbox_pages_through_time_left_without_repeating_a_row(
    client, workspace, channel, members
):
    rows = _conversations(workspace, channel, PAGE_SIZE + 30)
    expected = [
        Conversation.objects.get(pk=pk).excerpt
        for pk in _expected_due_order([c for c in rows if c.state in ("new", "open")])
    ]
    client.force_login(members["agent"].user)
    shown = []
    for page in (1, 2):
        html = client.get(f"/w/{workspace.slug}/inbox/", {"sort": "due", "page": page})
        shown += re.findall(r"row-\d{3}", html.content.decode())
    assert shown == expected
    assert RowsPage.of(order(Conversation.objects.all(), "due"), "2").has_next is False


TEXTS = {
    "e1": ("asha", "Asha Roy", ["The delivery to Salt Lake was late again", "Any news?"]),
    "e2": ("ravi.kumar", "Ravi Kumar", ["Late delivery, late refund", "Still waiting"]),
    "e3": ("late_bird", "Night Owl", ["Love the tea"]),
    "b1": ("mou", "Mou Das", ["আমার অর্ডার এখনও আসেনি, খুব দেরি হচ্ছে"]),
    "b2": ("tapas", "Tapas Sen", ["অর্ডার পেয়েছি, ধন্যবাদ"]),
    "g1": ("nikos", "Νίκος Παππάς", ["Το τσάι ήταν κρύο", "κρύο και πάλι"]),
    "h1": ("priya", "Priya Shah", ["मेरा ऑर्डर कहाँ है", "delivery please"]),
}
QUERIES = [
    "late delivery",
    "delivery",
    "late",
    "অর্ডার",
    "τσάι",
    "κρύο",
    "ऑर्डर",
    "mou",
    "Roy",
    "ou",
    "kumar",
    "lat",
    '"late',
    "late OR nonsense",
    "Νίκος",
    "bird",
    "nothing-here",
]


def _reference(conversations: dict[str, Conversation], query: str) -> set[str]:
    """The plain reading of a search: a message holding every word of the query as a whole
    word, or the query inside the author's handle or name."""
    words = {w.lower() for w in regex.findall(r"[\w\p{M}]+", query)}
    found = set()
    for key, (handle, name, texts) in TEXTS.items():
        by_text = words and any(
            words <= {w.lower() for w in regex.findall(r"[\w\p{M}]+", text)} for text in texts
        )
        by_person = query.lower() in handle.lower() or query.lower() in name.lower()
        if by_text or by_person:
            found.add(key)
    return found


@pytest.fixture
def searchable(workspace, channel):
    made = {}
    for n, (key, (handle, name, texts)) in enumerate(TEXTS.items()):
        made[key] = Conversation.objects.create(
            workspace=workspace,
            channel=channel,
            root_remote_id=key,
            kind="comment",
            author_handle=handle,
            author_name=name,
            excerpt=texts[0][:280],
            priority=n % 3,
            last_message_at=NOW - timedelta(minutes=n),
        )
        Message.objects.bulk_create(
            Message(
                conversation=made[key],
                channel=channel,
                remote_id=f"{key}-{i}",
                kind="comment",
                text=text,
                created_at=NOW,
            )
            for i, text in enumerate(texts)
        )
    return made


@pytest.mark.parametrize("way", [None, *search.Way])
def test_every_way_of_searching_finds_what_the_plain_reading_finds(workspace, searchable, way):
    by_pk = {c.pk: key for key, c in searchable.items()}
    base = Conversation.objects.filter(workspace=workspace)
    for query in QUERIES:
        found = order(search.search(base, query, way=way), "")
        keys = [by_pk[c.pk] for c in found]
        assert set(keys) == _reference(searchable, query), f"{query!r} found {keys}"
        assert len(keys) == len(set(keys)), f"{query!r}: each conversation once"
        assert keys == [by_pk[c.pk] for c in order(base.filter(pk__in=found), "")], (
            f"{query!r} keeps the list's order"
        )


def test_a_renamed_or_deleted_author_is_found_by_the_new_name_only(workspace, searchable):
    base = Conversation.objects.filter(workspace=workspace)
    asha = searchable["e1"]
    Conversation.objects.filter(pk=asha.pk).update(author_handle="asha.new", author_name="A. Roy")
    assert set(search.search(base, "asha.new")) == {asha}
    assert set(search.search(base, "Asha Roy")) == set()
    searchable["b1"].delete()
    assert set(search.search(base, "Mou Das")) == set()


def test_common_words_are_walked_rare_ones_read_from_the_index(searchable, monkeypatch):
    words = search._words(["delivery"])
    assert search.choose(words) is search.Way.FEW
    monkeypatch.setattr(search, "FEWEST", 0)
    monkeypatch.setattr(search, "FEW_FACTOR", {"sqlite": 0.0, "postgresql": 0.0})
    monkeypatch.setattr(search, "EACH_FACTOR", {"sqlite": 1e6, "postgresql": 1e6})
    assert search.choose(words) is search.Way.LIST
    monkeypatch.setattr(search, "EACH_FACTOR", {"sqlite": 0.0, "postgresql": 0.0})
    assert search.choose(words) is search.Way.EACH


def test_planner_statistics_are_refreshed_where_the_database_needs_it(searchable):
    assert planner.refresh_statistics() is (connection.vendor == "sqlite")
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'inbox_conversation'")
            assert cursor.fetchone()[0] > 0
