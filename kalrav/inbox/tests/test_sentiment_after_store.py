"""A message is stored and shown first, with the fast sentiment; the quality path's reading comes
a moment later, from a task, and corrects it (issue 14, item 9)."""

from __future__ import annotations

import pytest

from kalrav.connectors.base import ItemKind
from kalrav.inbox.intake import ingest as intake
from kalrav.inbox.models import Conversation, Message, Priority
from kalrav.inbox.tests.fakes import item
from kalrav.inbox.tests.teamwork import (  # noqa: F401 - fixtures
    brand_fixture,
    fake_network_fixture,
)
from kalrav.nlp.services import Classification

pytestmark = pytest.mark.django_db


@pytest.fixture
def readings(monkeypatch):
    """The fast path reads everything as positive, the quality path as negative; each call is
    recorded with the path it asked for."""
    calls: list[bool] = []

    def classify(texts, *, quality=False):
        calls.append(quality)
        label, score = ("negative", -0.8) if quality else ("positive", 0.6)
        return [Classification("en", 0.9, label, score) for _ in texts]

    monkeypatch.setattr(intake, "classify_batch", classify)
    monkeypatch.setattr(intake, "inbox_uses_quality", lambda: True)
    return calls


def test_stored_with_the_fast_reading_then_refined(
    brand, readings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as later:
        stored = intake.ingest(
            brand, [item("q1", "The tea arrived cold, again.", kind=ItemKind.MENTION)], via="stream"
        )
    # Stored without waiting for the quality path.
    assert readings == [False]
    message = Message.objects.get(pk=stored[0].pk)
    assert (message.sentiment, message.conversation.priority) == ("positive", Priority.NORMAL)

    for callback in later:
        callback()  # after commit: the webhook event and the refinement (Huey runs it at once)
    assert readings == [False, True]
    message.refresh_from_db()
    conversation = Conversation.objects.get(pk=message.conversation_id)
    assert (message.sentiment, message.sentiment_score) == ("negative", -0.8)
    assert conversation.sentiment == "negative"
    assert conversation.priority == Priority.HIGH, "a complaint is raised as ingest would have"


def test_a_persons_correction_is_not_overwritten(brand, readings):
    stored = intake.ingest(brand, [item("q2", "Fine, I guess.", kind=ItemKind.MENTION)], via="poll")
    Message.objects.filter(pk=stored[0].pk).update(
        sentiment="neutral", sentiment_corrected_at="2026-12-07T10:00:00Z"
    )
    assert intake.refine_sentiment([stored[0].pk]) == 0
    assert Message.objects.get(pk=stored[0].pk).sentiment == "neutral"


def test_an_older_message_does_not_speak_for_the_conversation(brand, readings, monkeypatch):
    first = intake.ingest(brand, [item("r1", "Hello", kind=ItemKind.MENTION)], via="poll")[0]
    monkeypatch.setattr(intake, "inbox_uses_quality", lambda: False)
    later = intake.ingest(
        brand, [item("r2", "Thanks!", parent="r1", root="r1", kind=ItemKind.REPLY)], via="poll"
    )[0]
    assert later.conversation_id == first.conversation_id
    assert intake.refine_sentiment([first.pk]) == 1
    conversation = Conversation.objects.get(pk=first.conversation_id)
    assert conversation.sentiment == "positive", "the latest message still speaks for it"
