"""Intake: deduplication by address and by text and author within a day, language and sentiment
on arrival, and matching against every monitor at once, in Indic scripts and Greek too."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from kalrav.listening.intake import Collected, take
from kalrav.listening.intake.keys import normalised_url
from kalrav.listening.intake.matching import forget, matcher_for
from kalrav.listening.intake.take import read
from kalrav.listening.models import Mention, MentionMatch, Monitor

from .conftest import shared

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_matchers():
    forget()
    yield
    forget()


def item(text: str, url: str = "", author: str = "reader", hours_ago: float = 1, **extra):
    return Collected(
        text=text,
        url=url,
        author_handle=author,
        published_at=timezone.now() - timedelta(hours=hours_ago),
        **extra,
    )


def test_same_address_is_one_mention_whatever_the_tracking(workspace):
    first = take(
        workspace, None, [item("Masala chai review", "https://News.example/a/?utm_source=x")]
    )
    again = take(
        workspace,
        None,
        [item("Masala chai review, updated", "http://news.example/a?fbclid=1#top", author="x")],
    )
    assert len(first) == 1 and again == []
    assert Mention.objects.filter(workspace=workspace).count() == 1
    assert normalised_url("https://News.example:443/a/?b=2&a=1&utm_x=3") == (
        "https://news.example/a?a=1&b=2"
    )


def test_same_text_same_author_within_a_day_is_one_mention(workspace):
    text = "The new Darjeeling blend is wonderful"
    take(workspace, None, [item(text, "https://a.example/1", author="@Mira", hours_ago=30)])
    # Same words (case and punctuation aside) from the same author 10 hours later: a repost.
    assert (
        take(
            workspace,
            None,
            [item(text.upper() + "!", "https://b.example/2", author="mira", hours_ago=20)],
        )
        == []
    )
    # Another author says the same: a mention of its own.
    assert (
        len(take(workspace, None, [item(text, "https://c.example/3", author="ravi", hours_ago=20)]))
        == 1
    )
    # The same author again, more than a day after the first: new.
    assert (
        len(take(workspace, None, [item(text, "https://d.example/4", author="mira", hours_ago=2)]))
        == 1
    )
    # Within one batch too.
    batch = [item("Fresh batch", f"https://e.example/{n}", author="sam") for n in range(3)]
    assert len(take(workspace, None, batch)) == 1


def test_mentions_without_address_are_keyed_by_network_id(workspace):
    one = item("hello tea", network="bluesky", remote_id="at://1", author="a")
    two = item("other tea words", network="bluesky", remote_id="at://1", author="b")
    assert len(take(workspace, None, [one])) == 1
    assert take(workspace, None, [two]) == []


def test_language_and_sentiment_are_read_on_arrival(workspace):
    stored = take(
        workspace,
        None,
        [
            item(
                "This is the worst tea I have ever had, terrible and stale", "https://x.example/1"
            ),
            item("Ο καφές ήταν υπέροχος, ευχαριστώ πολύ!", "https://x.example/2", author="b"),
        ],
    )
    by_url = {m.url: m for m in stored}
    assert by_url["https://x.example/1"].language == "en"
    assert by_url["https://x.example/1"].sentiment == "negative"
    assert by_url["https://x.example/2"].language == "el"
    assert all(m.quality_sentiment == "" for m in stored)


def test_reading_keeps_the_source_language_and_reads_every_item():
    """What the throughput bench times as intake's reading: the source's label wins, the
    detected language fills in, and a post without words has none (not "und")."""
    found = read(
        [
            item("The tea was wonderful, thank you so much", language="pt"),
            item("The tea was wonderful, thank you so much"),
            item("🙂🙂 https://x.example/1"),
        ]
    )
    languages, readings = found
    assert languages == ["pt", "en", ""]
    assert readings.languages == ["en", "en", "und"]
    assert readings.sentiments[1] == "positive"


def test_every_monitor_is_matched_in_every_script(workspace):
    monitors = {
        name: Monitor.objects.create(workspace=workspace, name=name, query=query)
        for name, query in {
            "bn": "চা NOT কফি",
            "hi": '"मसाला चाय" OR चायवाला',
            "gu": "ચા AND lang:gu",
            "el": "καφές",  # matches "καφες" and "ΚΑΦΕΣ" too
            "tag": "#kalravtea",
        }.items()
    }
    texts = {
        "bn": ("আজ সকালে চা খুব ভালো ছিল", "bn"),
        "bn-no": ("চা আর কফি দুটোই খারাপ", "bn"),
        "hi": ("कल मसाला चाय पी, बहुत अच्छी", "hi"),
        "gu": ("આજે ચા બહુ સરસ હતી", "gu"),
        "el": ("ΚΑΦΕΣ και τσάι σήμερα", "el"),
        "tag": ("Trying #KalravTea today", "en"),
    }
    stored = take(
        workspace,
        None,
        [
            item(text, f"https://m.example/{key}", author=key, language=lang)
            for key, (text, lang) in texts.items()
        ],
    )
    assert len(stored) == len(texts)
    found = {
        (match.monitor.name, match.mention.url.rsplit("/", 1)[1])
        for match in MentionMatch.objects.select_related("monitor", "mention")
    }
    assert found == {("bn", "bn"), ("hi", "hi"), ("gu", "gu"), ("el", "el"), ("tag", "tag")}
    match = MentionMatch.objects.get(monitor=monitors["hi"])
    assert (match.language, match.published_at) == ("hi", match.mention.published_at)


def test_the_compiled_matcher_is_kept_until_monitors_change(workspace):
    Monitor.objects.create(workspace=workspace, name="tea", query="tea")
    first = matcher_for(workspace.pk)
    assert matcher_for(workspace.pk) is first
    added = Monitor.objects.create(workspace=workspace, name="chai", query="chai")
    second = matcher_for(workspace.pk)
    assert second is not first and len(second.ids) == 2
    added.query = "coffee"
    added.save()
    third = matcher_for(workspace.pk)
    assert third is not second
    assert set(third.ids) == {m.pk for m in Monitor.objects.all()}
    Monitor.objects.filter(pk=added.pk).update(is_active=False)
    assert len(matcher_for(workspace.pk).ids) == 1
    stored = take(workspace, None, [item("coffee and chai", "https://z.example/1")])
    assert not MentionMatch.objects.filter(mention=stored[0]).exists()


def test_shared_multilingual_sentences_match_their_own_words(workspace):
    """Real sentences from the shared sentiment sets: a monitor on a word of each finds it."""
    taken = []
    for name in ("bn-blp23.jsonl", "hi-tweets.jsonl", "gu-gsa.jsonl", "el-sentimp21.jsonl"):
        with shared("sentiment", name).open(encoding="utf-8") as handle:
            row = json.loads(handle.readline())
        from kalrav.listening.query.words import words

        word = max(words(row["text"]), key=len)
        Monitor.objects.create(workspace=workspace, name=name, query=word)
        taken.append(item(row["text"], f"https://s.example/{name}", author=name))
    take(workspace, None, taken)
    for mention in Mention.objects.all():
        names = set(mention.matches.values_list("monitor__name", flat=True))
        assert mention.url.rsplit("/", 1)[1] in names
