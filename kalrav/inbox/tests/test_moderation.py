"""Liking, hiding and deleting messages on their network: the services, the buttons and the API,
against a fake network that records what it was asked and answers as the test says."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kalrav.api import tokens
from kalrav.channels.models import Channel, ChannelState
from kalrav.connectors.base import Moderation
from kalrav.connectors.errors import AuthExpired, Rejected
from kalrav.inbox.models import Direction, Message
from kalrav.inbox.tests.moderation_fakes import (  # noqa: F401 - fixture
    network_fixture,
    thread_on,
)
from kalrav.inbox.work import moderation
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import AuditEntry


@pytest.fixture
def thread(workspace, network):
    return thread_on(workspace, "fakemod")


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Call a service and run the task it queues, as the worker would."""

    def call(service, member, message_id):
        with django_capture_on_commit_callbacks(execute=True):
            service(member, Actor(user=member.user), message_id)
        return Message.objects.get(pk=message_id)

    return call


def test_an_agent_likes_a_comment_and_takes_the_like_back(thread, members, network, run):
    _conversation, message = thread
    liked = run(moderation.like_message, members["agent"], message.pk)
    assert liked.liked_at is not None and liked.like_remote_id == "like-of-r-1"
    assert (liked.moderation_pending, liked.moderation_error) == ("", "")
    name, sent, key = network.calls[0]
    assert (name, sent.remote_id, sent.root_id, sent.ours) == ("like", "r-1", "post-1", False)
    assert key.startswith(f"kalrav-like-{message.pk}-")
    assert AuditEntry.objects.filter(action="message.like", object_id=str(message.pk)).exists()

    again = run(moderation.like_message, members["agent"], message.pk)
    assert len(network.calls) == 1, "liking what is liked asks the network nothing"
    assert again.liked_at == liked.liked_at

    unliked = run(moderation.unlike_message, members["agent"], message.pk)
    assert unliked.liked_at is None and unliked.like_remote_id == ""
    assert network.calls[1][0] == "unlike"
    assert network.calls[1][1].like_id == "like-of-r-1", "unlike names the like it undoes"
    assert network.calls[1][2] != key


def test_the_brands_own_item_is_marked_ours(thread, members, network, run):
    conversation, _message = thread
    own = conversation.messages.get(remote_id="post-1")
    Message.objects.filter(pk=own.pk).update(author_remote_id="did:brand")
    run(moderation.delete_message_on_network, members["manager"], own.pk)
    assert network.calls[0][1].ours is True


def test_only_managers_delete_and_the_message_stays_marked_deleted(thread, members, network, run):
    _conversation, message = thread
    with pytest.raises(PermissionDenied):
        moderation.delete_message_on_network(members["agent"], Actor(), message.pk)
    deleted = run(moderation.delete_message_on_network, members["manager"], message.pk)
    assert deleted.deleted_at is not None
    assert deleted.text == "Your delivery is a scam", "Kalrav keeps its copy"
    assert moderation.available([deleted], deleted.channel)[deleted.pk] == set()
    assert AuditEntry.objects.filter(action="message.delete").count() == 1


def test_a_refusal_shows_the_networks_words_and_leaves_the_channel_alone(
    thread, members, network, run
):
    _conversation, message = thread
    network.fail_with = Rejected("Bad Request: message can't be deleted")
    failed = run(moderation.delete_message_on_network, members["owner"], message.pk)
    assert failed.deleted_at is None and failed.moderation_pending == ""
    assert failed.moderation_error == "Bad Request: message can't be deleted"
    assert Channel.objects.get(pk=message.channel_id).state == ChannelState.ACTIVE


def test_credentials_refused_mark_the_channel_for_reconnecting(thread, members, network, run):
    _conversation, message = thread
    network.fail_with = AuthExpired("Invalid session")
    failed = run(moderation.like_message, members["agent"], message.pk)
    assert failed.moderation_error == "Invalid session" and failed.liked_at is None
    channel = Channel.objects.get(pk=message.channel_id)
    assert channel.state == ChannelState.NEEDS_RECONNECT


def test_what_the_network_does_not_allow_is_refused_before_anything_is_sent(
    thread, members, network
):
    _conversation, message = thread
    with pytest.raises(ValidationError, match="Fakebook does not allow this"):
        moderation.hide_message(members["agent"], Actor(), message.pk)
    assert network.calls == []
    assert not AuditEntry.objects.filter(action="message.hide").exists()


def test_one_action_at_a_time_per_message(thread, members, network, run):
    _conversation, message = thread
    moderation.like_message(members["agent"], Actor(), message.pk)  # the task has not run yet
    with pytest.raises(ValidationError, match="still waiting"):
        moderation.delete_message_on_network(members["manager"], Actor(), message.pk)
    moderation.apply(message.pk, "delete", "k")  # a task for an action nobody waits for
    assert network.calls == []


def test_hide_and_unhide_where_the_network_hides(workspace, members, network, run):
    _conversation, message = thread_on(workspace, "fakehide")
    hidden = run(moderation.hide_message, members["agent"], message.pk)
    assert hidden.hidden_at is not None
    shown = run(moderation.unhide_message, members["agent"], message.pk)
    assert shown.hidden_at is None
    assert [name for name, _item, _key in network.calls] == ["hide", "unhide"]


def test_hiding_is_offered_only_by_a_reply_hider(workspace, network):
    _conversation, message = thread_on(workspace, "fakeboast")
    assert moderation.available([message], message.channel)[message.pk] == {
        Moderation.LIKE,
        Moderation.UNLIKE,
        Moderation.DELETE,
    }


def test_a_message_of_another_workspace_is_not_found(thread, network, members):
    from kalrav.workspaces import services as workspaces

    _conversation, message = thread
    other = workspaces.create_workspace(
        members["owner"].user, Actor(user=members["owner"].user), name="Other", time_zone="UTC"
    )
    with pytest.raises(Message.DoesNotExist):
        moderation.like_message(other.members.get(), Actor(), message.pk)


# --- the page ------------------------------------------------------------------------------------


def _page(client, workspace, conversation) -> str:
    return client.get(f"/w/{workspace.slug}/inbox/{conversation.pk}/").content.decode()


def test_the_conversation_shows_only_what_the_network_and_the_role_allow(
    client, thread, members, workspace
):
    conversation, message = thread
    client.force_login(members["agent"].user)
    page = _page(client, workspace, conversation)
    assert f'id="message-actions-{message.pk}"' in page
    assert f"/inbox/messages/{message.pk}/like/" in page
    assert "/hide/" not in page, "Fakebook cannot hide"
    assert f"/inbox/messages/{message.pk}/delete/" not in page, "agents do not delete"
    client.force_login(members["manager"].user)
    page = _page(client, workspace, conversation)
    assert f"/inbox/messages/{message.pk}/delete/" in page
    assert "cannot be undone" in page, "delete asks for confirmation first"


def test_the_like_button_answers_with_the_new_bar(
    client, thread, members, workspace, network, django_capture_on_commit_callbacks
):
    _conversation, message = thread
    client.force_login(members["agent"].user)
    url = f"/w/{workspace.slug}/inbox/messages/{message.pk}/like/"
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(url, HTTP_HX_REQUEST="true")
    assert answer.status_code == 200
    bar = client.get(f"/w/{workspace.slug}/inbox/messages/{message.pk}/actions/").content.decode()
    assert "Liked" in bar and f"/inbox/messages/{message.pk}/unlike/" in bar
    assert f"/inbox/messages/{message.pk}/like/" not in bar


def test_a_pending_action_polls_and_a_refusal_is_shown(
    client, thread, members, workspace, network, django_capture_on_commit_callbacks
):
    conversation, message = thread
    client.force_login(members["agent"].user)
    bar = client.post(
        f"/w/{workspace.slug}/inbox/messages/{message.pk}/like/", HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "Waiting for the network" in bar and 'hx-trigger="every 2s"' in bar
    network.fail_with = Rejected("REACTION_INVALID")
    moderation.apply(message.pk, "like", "k")
    page = _page(client, workspace, conversation)
    assert "The network refused: REACTION_INVALID" in page


def test_without_htmx_the_button_returns_to_the_conversation(client, thread, members, workspace):
    conversation, message = thread
    client.force_login(members["agent"].user)
    answer = client.post(f"/w/{workspace.slug}/inbox/messages/{message.pk}/hide/")
    assert answer.status_code == 302
    assert answer["Location"].endswith(f"/inbox/{conversation.pk}/")
    follow = client.get(answer["Location"]).content.decode()
    assert "does not allow this" in follow


# --- the API -------------------------------------------------------------------------------------


def _api(client, member, method: str, path: str):
    token = tokens.create_token(member, Actor(user=member.user), name="t", role=member.role)[1]
    return client.generic(method, path, HTTP_AUTHORIZATION=f"Bearer {token}")


def test_api_like_and_state(
    client, thread, members, workspace, network, django_capture_on_commit_callbacks
):
    _conversation, message = thread
    base = f"/api/v1/workspaces/{workspace.slug}/messages/{message.pk}"
    state = _api(client, members["agent"], "GET", f"{base}/moderation").json()
    assert state["actions"] == ["delete", "like", "unlike"] and state["liked_at"] is None
    with django_capture_on_commit_callbacks(execute=True):
        answer = _api(client, members["agent"], "POST", f"{base}/like")
    assert answer.status_code == 202
    assert _api(client, members["agent"], "GET", f"{base}/moderation").json()["liked_at"]
    refused = _api(client, members["agent"], "POST", f"{base}/delete")
    assert refused.status_code == 403
    not_allowed = _api(client, members["manager"], "POST", f"{base}/hide")
    assert not_allowed.status_code == 400
    assert "does not allow" in json.dumps(not_allowed.json())


def test_an_outgoing_message_without_a_network_id_offers_nothing(thread, members, network):
    conversation, _message = thread
    queued = Message.objects.create(
        conversation=conversation,
        channel=conversation.channel,
        kind="reply",
        direction=Direction.OUT,
        text="On its way",
        created_at=conversation.received_at,
    )
    assert moderation.available([queued], conversation.channel)[queued.pk] == set()
