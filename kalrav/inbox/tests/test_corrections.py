"""Correcting a message's sentiment: the message and its conversation change, the correction is
kept for training, and the page says who corrected it."""

from __future__ import annotations

import json
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kalrav.inbox.corrections import services as corrections
from kalrav.inbox.corrections.models import SentimentCorrection
from kalrav.inbox.models import Direction, Message, Priority
from kalrav.inbox.tests.teamwork import (  # noqa: F401 - fixtures
    brand_fixture,
    conversation,
    fake_network_fixture,
)
from kalrav.inbox.work import replies
from kalrav.workspaces.audit import Actor


def test_a_correction_changes_the_message_and_the_conversation_and_is_kept(brand, members):
    found = conversation(brand, "c1", "Your tea is criminally good, I am addicted")
    message = found.messages.get()
    agent = members["agent"]
    was = message.sentiment
    label = "negative" if was != "negative" else "positive"
    corrections.correct_sentiment(agent, Actor(user=agent.user), message.pk, label)
    message.refresh_from_db()
    found.refresh_from_db()
    assert message.sentiment == label and message.sentiment_corrected_by == agent.user
    assert message.sentiment_corrected_at is not None and message.sentiment_score is None
    assert found.sentiment == label
    kept = SentimentCorrection.objects.get()
    assert kept.source == f"inbox.message:{message.pk}"
    assert (kept.label, kept.previous_label, kept.corrected_by) == (label, was, agent.user)
    assert kept.text == message.text and kept.workspace_id == found.workspace_id


def test_the_recorder_is_called_with_what_the_nlp_app_needs(brand, members):
    found = conversation(brand, "c1", "Awful, broken cup, terrible!")
    message = found.messages.get()
    agent = members["agent"]
    with mock.patch("kalrav.inbox.corrections.services.record_correction") as recorder:
        corrections.correct_sentiment(agent, Actor(user=agent.user), message.pk, "neutral")
    recorder.assert_called_once_with(
        workspace=found.workspace,
        text="Awful, broken cup, terrible!",
        language=message.language,
        label="neutral",
        previous_label="negative",
        source=f"inbox.message:{message.pk}",
        user=agent.user,
    )


def test_priority_follows_a_complaint_and_gives_it_back(brand, members):
    found = conversation(brand, "c1", "Awful, broken cup, terrible!")
    assert found.priority == Priority.HIGH
    message = found.messages.get()
    manager = members["manager"]
    corrections.correct_sentiment(manager, Actor(user=manager.user), message.pk, "positive")
    found.refresh_from_db()
    assert (found.sentiment, found.priority) == ("positive", Priority.NORMAL)
    corrections.correct_sentiment(manager, Actor(user=manager.user), message.pk, "negative")
    found.refresh_from_db()
    assert (found.sentiment, found.priority) == ("negative", Priority.HIGH)
    assert SentimentCorrection.objects.count() == 1, "the same message keeps one correction"


def test_only_received_messages_by_who_may(brand, members, fake_network):
    found = conversation(brand, "c1", "Hello")
    agent, analyst = members["agent"], members["analyst"]
    reply = replies.reply(agent, Actor(user=agent.user), found.pk, "Hi!")
    with pytest.raises(ValidationError):
        corrections.correct_sentiment(agent, Actor(user=agent.user), reply.pk, "positive")
    with pytest.raises(ValidationError):
        corrections.correct_sentiment(
            agent, Actor(user=agent.user), found.messages.get(direction=Direction.IN).pk, "angry"
        )
    with pytest.raises(PermissionDenied):
        corrections.correct_sentiment(
            analyst,
            Actor(user=analyst.user),
            found.messages.get(direction=Direction.IN).pk,
            "positive",
        )
    assert not SentimentCorrection.objects.exists()


def test_the_page_corrects_and_says_who_did(client, brand, members, workspace):
    found = conversation(brand, "c1", "Awful, broken cup, terrible!")
    message = found.messages.get()
    agent = members["agent"]
    client.force_login(agent.user)
    page = client.get(f"/w/{workspace.slug}/inbox/{found.pk}/").content.decode()
    assert f'id="sentiment-{message.pk}"' in page
    response = client.post(
        f"/w/{workspace.slug}/inbox/{found.pk}/messages/{message.pk}/sentiment/",
        {"sentiment": "neutral"},
        follow=True,
    )
    body = response.content.decode()
    assert response.redirect_chain[-1][0].endswith(f"#message-{message.pk}")
    assert f"corrected by {agent.user.display_name}" in body
    assert '<option value="neutral" selected>' in body
    bad = client.post(
        f"/w/{workspace.slug}/inbox/{found.pk}/messages/{message.pk}/sentiment/",
        {"sentiment": "furious"},
        follow=True,
    )
    assert "Choose negative, neutral or positive." in bad.content.decode()


def test_a_message_of_another_conversation_is_not_found(client, brand, members, workspace):
    first = conversation(brand, "c1", "Hello")
    second = conversation(brand, "c2", "Hi", author="ravi")
    client.force_login(members["agent"].user)
    response = client.post(
        f"/w/{workspace.slug}/inbox/{first.pk}/messages/{second.messages.get().pk}/sentiment/",
        {"sentiment": "neutral"},
    )
    assert response.status_code == 404


def test_corrections_over_the_api(client, brand, members, workspace):
    from kalrav.api import tokens

    found = conversation(brand, "c1", "Awful, broken cup, terrible!")
    message = found.messages.get()
    agent = members["agent"]
    _record, token = tokens.create_token(agent, Actor(user=agent.user), name="bot", role="agent")
    response = client.post(
        f"/api/v1/workspaces/{workspace.slug}/messages/{message.pk}/sentiment",
        json.dumps({"sentiment": "positive"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 200
    assert response.json()["conversation_sentiment"] == "positive"
    assert Message.objects.get(pk=message.pk).sentiment_corrected_by == agent.user
