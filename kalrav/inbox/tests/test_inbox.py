from __future__ import annotations

import pytest

from kalrav.channels.models import Channel, ChannelState
from kalrav.connectors import registry
from kalrav.connectors.base import Cursor, ItemKind, Page
from kalrav.connectors.errors import AuthExpired
from kalrav.inbox.intake import polling
from kalrav.inbox.intake.ingest import ingest
from kalrav.inbox.models import Conversation, ConversationState, Delivery, Message, SavedReply
from kalrav.inbox.tests.fakes import FakeInboxConnector, item
from kalrav.inbox.work import conversations, replies
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import AuditEntry


@pytest.fixture
def fake_inbox():
    registry.reset(
        {**registry.CONNECTORS, "fakeinbox": "kalrav.inbox.tests.fakes.FakeInboxConnector"}
    )
    FakeInboxConnector.pages, FakeInboxConnector.seen_cursors, FakeInboxConnector.replies = (
        [],
        [],
        [],
    )
    FakeInboxConnector.fail_with = None
    yield FakeInboxConnector
    registry.reset()


@pytest.fixture
def channel(workspace, fake_inbox):
    return Channel.objects.create(
        workspace=workspace, network="fakeinbox", name="Brand", state=ChannelState.ACTIVE
    )


def test_the_same_item_from_stream_and_poll_is_stored_once(channel):
    first = ingest(channel, [item("p1", "Where is my order? It is late again")], via="stream")
    again = ingest(channel, [item("p1", "Where is my order? It is late again")], via="poll")
    assert len(first) == 1 and again == []
    assert Message.objects.count() == 1
    assert Message.objects.get().via == "stream"


def test_replies_thread_into_their_conversation_and_reopen_it(channel, members):
    ingest(channel, [item("root", "Love the new masala chai!", kind=ItemKind.COMMENT)], via="poll")
    conversation = Conversation.objects.get()
    conversations.set_state(members["agent"], Actor(), conversation.pk, ConversationState.RESOLVED)
    ingest(channel, [item("r1", "But the cup was cold", root="root", parent="root")], via="poll")
    conversation.refresh_from_db()
    assert Conversation.objects.count() == 1
    assert conversation.messages.count() == 2
    assert conversation.state == ConversationState.OPEN, (
        "a new message reopens a resolved conversation"
    )
    assert conversation.resolved_at is None


def test_direct_messages_thread_by_person(channel):
    ingest(
        channel,
        [
            item("d1", "hi", kind=ItemKind.DIRECT_MESSAGE),
            item("d2", "are you there?", kind=ItemKind.DIRECT_MESSAGE),
        ],
        via="poll",
    )
    ingest(channel, [item("d3", "hello", kind=ItemKind.DIRECT_MESSAGE, author="ravi")], via="poll")
    assert Conversation.objects.count() == 2


def test_messages_carry_language_and_sentiment(channel):
    ingest(
        channel,
        [
            item("b1", "আপনাদের ডেলিভারি খুব খারাপ, আমি খুবই হতাশ", kind=ItemKind.MENTION),
            item("e1", "Thank you, the tea was wonderful!", author="ravi", kind=ItemKind.MENTION),
        ],
        via="poll",
    )
    bengali, english = Message.objects.get(remote_id="b1"), Message.objects.get(remote_id="e1")
    assert bengali.language == "bn"
    assert english.language == "en"
    assert english.sentiment == "positive"
    assert english.conversation.sentiment == "positive"


def test_poll_uses_and_saves_the_cursor(channel, fake_inbox):
    fake_inbox.pages = [
        Page(items=(item("a", "first"),), cursor=Cursor("c1")),
        Page(items=(item("b", "second", author="ravi"),), cursor=Cursor("c2")),
    ]
    assert polling.poll_channel(channel.pk) == 1
    assert polling.poll_channel(channel.pk) == 1
    assert fake_inbox.seen_cursors == [None, "c1"]
    assert channel.inbox_cursor.value == "c2"


def test_poll_error_marks_the_channel(channel, fake_inbox):
    def boom(self, since):
        raise AuthExpired("Token has been revoked")

    fake_inbox.fetch_inbox = boom
    try:
        assert polling.poll_channel(channel.pk) == 0
    finally:
        del fake_inbox.fetch_inbox
    channel.refresh_from_db()
    assert channel.state == ChannelState.NEEDS_RECONNECT
    assert channel.state_detail == "Token has been revoked"


def test_reply_goes_out_once_and_sets_first_response(
    channel, members, fake_inbox, django_capture_on_commit_callbacks
):
    ingest(channel, [item("q1", "Do you deliver to Salt Lake?", kind=ItemKind.MENTION)], via="poll")
    conversation = Conversation.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        sent = replies.reply(
            members["agent"],
            Actor(user=members["agent"].user),
            conversation.pk,
            "Yes, every day before 8 pm!",
        )
    sent.refresh_from_db()
    conversation.refresh_from_db()
    assert sent.delivery == Delivery.SENT
    assert sent.remote_id == "sent-1"
    assert fake_inbox.replies == [("q1", "Yes, every day before 8 pm!", sent.send_key)]
    assert conversation.first_response_at is not None
    replies.send_reply(sent.pk)  # a retried task must not send again
    assert len(fake_inbox.replies) == 1
    assert AuditEntry.objects.filter(action="conversation.reply").exists()


def test_reply_failure_shows_the_networks_words(
    channel, members, fake_inbox, django_capture_on_commit_callbacks
):
    ingest(channel, [item("q1", "Hello?", kind=ItemKind.MENTION)], via="poll")
    fake_inbox.fail_with = AuthExpired("Invalid session")
    with django_capture_on_commit_callbacks(execute=True):
        sent = replies.reply(members["agent"], Actor(), Conversation.objects.get().pk, "Hi!")
    sent.refresh_from_db()
    assert sent.delivery == Delivery.FAILED
    assert sent.error == "Invalid session"
    assert Conversation.objects.get().first_response_at is None


def test_reply_breaking_the_networks_rules_is_refused_before_queueing(channel, members):
    from django.core.exceptions import ValidationError

    ingest(channel, [item("q1", "Hello?", kind=ItemKind.MENTION)], via="poll")
    with pytest.raises(ValidationError):
        replies.reply(members["agent"], Actor(), Conversation.objects.get().pk, "x" * 400)
    assert not Message.objects.filter(direction="out").exists()


def test_saved_reply_variables(channel, members):
    ingest(channel, [item("q1", "Hello?", kind=ItemKind.MENTION)], via="poll")
    saved = SavedReply.objects.create(
        workspace=channel.workspace,
        title="Thanks",
        text="Thank you {first_name}! Your ticket is {ticket}. {unknown}",
    )
    assert (
        replies.fill_saved_reply(saved, Conversation.objects.get(), ticket="T-42")
        == "Thank you Asha! Your ticket is T-42. {unknown}"
    )


def test_work_on_a_conversation_through_the_pages(
    client, channel, members, workspace, django_capture_on_commit_callbacks
):
    ingest(channel, [item("q1", "My order #5512 never arrived", kind=ItemKind.MENTION)], via="poll")
    conversation = Conversation.objects.get()
    agent = members["agent"]
    client.force_login(agent.user)
    listing = client.get(f"/w/{workspace.slug}/inbox/").content.decode()
    assert "My order #5512 never arrived" in listing
    assert "never arrived" in client.get(f"/w/{workspace.slug}/inbox/?q=5512").content.decode()
    assert (
        "never arrived"
        not in client.get(f"/w/{workspace.slug}/inbox/?q=nothing-like-this").content.decode()
    )
    base = f"/w/{workspace.slug}/inbox/{conversation.pk}"
    assert client.get(f"{base}/").status_code == 200
    client.post(f"{base}/assign/", {"assignee": agent.user_id})
    client.post(f"{base}/tags/", {"tags": "Delivery, late"})
    client.post(f"{base}/note/", {"text": "@manager refund?"})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{base}/reply/", {"text": "Sorry! We are sending a new one today."})
    client.post(f"{base}/state/", {"state": "resolved"})
    conversation.refresh_from_db()
    assert conversation.assignee_id == agent.user_id
    assert conversation.tags == ["delivery", "late"]
    assert conversation.notes.count() == 1
    assert conversation.state == ConversationState.RESOLVED
    assert conversation.unread is False
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        "conversation.assign",
        "conversation.tag",
        "conversation.note",
        "conversation.reply",
        "conversation.state",
    } <= actions


def test_unknown_assignee_is_refused(channel, members, outsider):
    ingest(channel, [item("q1", "Hello?", kind=ItemKind.MENTION)], via="poll")
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        conversations.assign(
            members["manager"], Actor(), Conversation.objects.get().pk, assignee_id=outsider.pk
        )


def test_complaints_come_first(channel, client, members, workspace):
    ingest(
        channel,
        [item("ok", "Thank you, the tea was wonderful!", author="ravi", kind=ItemKind.MENTION)],
        via="poll",
    )
    ingest(
        channel,
        [
            item(
                "bad",
                "Terrible service, my order is lost and nobody answers. Awful.",
                kind=ItemKind.MENTION,
            )
        ],
        via="poll",
    )
    complaint = Conversation.objects.get(root_remote_id="bad")
    assert complaint.sentiment == "negative"
    assert complaint.priority == 2
    client.force_login(members["agent"].user)
    page = client.get(f"/w/{workspace.slug}/inbox/").content.decode()
    assert page.index("Terrible service") < page.index("the tea was wonderful")


def test_choosing_a_saved_reply_fills_the_box(client, channel, members, workspace):
    ingest(channel, [item("q1", "Hello?", kind=ItemKind.MENTION)], via="poll")
    conversation = Conversation.objects.get()
    saved = SavedReply.objects.create(workspace=workspace, title="Hi", text="Hello {first_name}!")
    client.force_login(members["agent"].user)
    url = f"/w/{workspace.slug}/inbox/{conversation.pk}/saved-reply/"
    assert "Hello Asha!" in client.get(url, {"saved": saved.pk}).content.decode()
    assert client.get(url, {"saved": "999999"}).status_code == 404


def test_targets_in_business_hours_show_in_the_inbox(client, channel, members, workspace):
    client.force_login(members["manager"].user)
    response = client.post(
        f"/w/{workspace.slug}/inbox/settings/",
        {
            "first_response_minutes": "30",
            "business_hours": "mon 09:00-18:00\ntue 09:00-13:00, 14:00-18:00",
            "holidays": "2026-12-25",
        },
    )
    assert response.status_code == 302
    from kalrav.inbox.models import InboxSettings

    saved = InboxSettings.objects.get(workspace=workspace)
    assert saved.business_hours == {
        "mon": [["09:00", "18:00"]],
        "tue": [["09:00", "13:00"], ["14:00", "18:00"]],
    }
    assert saved.holidays == ["2026-12-25"]
    bad = client.post(
        f"/w/{workspace.slug}/inbox/settings/",
        {"first_response_minutes": "30", "business_hours": "someday 9-5", "holidays": ""},
    )
    assert bad.status_code == 400
    assert "Line 1" in bad.content.decode()
    ingest(channel, [item("q1", "Hello?", kind=ItemKind.MENTION)], via="poll")
    conversation = Conversation.objects.get()
    assert conversation.first_response_due is not None
    assert conversation.first_response_due > conversation.received_at
    page = client.get(f"/w/{workspace.slug}/inbox/?sort=due").content.decode()
    assert "answer within" in page or "late by" in page


def test_the_inbox_over_the_api(
    client, channel, members, workspace, fake_inbox, django_capture_on_commit_callbacks
):
    import json

    from kalrav.api import tokens

    ingest(channel, [item("q1", "Do you ship to Athens?", kind=ItemKind.MENTION)], via="poll")
    _record, token = tokens.create_token(
        members["agent"], Actor(user=members["agent"].user), name="bot", role="agent"
    )
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    listed = client.get(f"/api/v1/workspaces/{workspace.slug}/conversations", **auth).json()
    assert [c["excerpt"] for c in listed] == ["Do you ship to Athens?"]
    detail = client.get(
        f"/api/v1/workspaces/{workspace.slug}/conversations/{listed[0]['id']}", **auth
    ).json()
    assert detail["messages"][0]["language"] == "en"
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(
            f"/api/v1/workspaces/{workspace.slug}/conversations/{listed[0]['id']}/replies",
            json.dumps({"text": "Yes, in three days."}),
            content_type="application/json",
            **auth,
        )
    assert sent.status_code == 202
    assert Message.objects.get(pk=sent.json()["id"]).delivery == Delivery.SENT
    too_long = client.post(
        f"/api/v1/workspaces/{workspace.slug}/conversations/{listed[0]['id']}/replies",
        json.dumps({"text": "x" * 400}),
        content_type="application/json",
        **auth,
    )
    assert too_long.status_code == 400
    assert too_long.json()["problems"][0]["field"] == "text"


def test_full_text_search_in_every_script(client, channel, members, workspace):
    ingest(
        channel,
        [
            item("e", "The delivery to Salt Lake was late again", kind=ItemKind.MENTION),
            item("b", "আমার অর্ডার এখনও আসেনি, খুব দেরি হচ্ছে", author="mou", kind=ItemKind.MENTION),
            item("g", "Το τσάι ήταν κρύο", author="nikos", kind=ItemKind.MENTION),
        ],
        via="poll",
    )
    client.force_login(members["agent"].user)

    def found(query):
        page = client.get(f"/w/{workspace.slug}/inbox/", {"q": query}).content.decode()
        return {
            key
            for key, text in (("e", "Salt Lake"), ("b", "আমার অর্ডার"), ("g", "τσάι"))
            if text in page
        }

    assert found("late delivery") == {"e"}
    assert found("অর্ডার") == {"b"}
    assert found("τσάι") == {"g"}
    assert found("lat") == set(), "whole words, not fragments"
    assert found('"late') == {"e"}, "stray quotes do not break the search"
    assert found("late OR nonsense") == set(), (
        "OR typed by a person is a plain word, every word must match"
    )
    assert found("mou") == {"b"}, "people are found by name and handle too"
