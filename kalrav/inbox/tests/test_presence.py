"""Two people on one conversation: each sees the other, and a reply written while a colleague
already answered waits for a confirmation instead of going out twice."""

from __future__ import annotations

import json

import pytest
import time_machine
from django.core.exceptions import ValidationError

from kalrav.inbox.models import Direction, Message
from kalrav.inbox.tests.teamwork import (  # noqa: F401 - fixtures
    brand_fixture,
    conversation,
    fake_network_fixture,
)
from kalrav.inbox.work import presence, replies
from kalrav.workspaces.audit import Actor


def _ping(client, member, found, **data):
    client.force_login(member.user)
    url = f"/w/{found.workspace.slug}/inbox/{found.pk}/presence/"
    return client.post(url, data, HTTP_HX_REQUEST="true")


def test_each_sees_who_else_is_viewing_and_replying(client, brand, members):
    found = conversation(brand, "p1", "Where is my parcel?")
    agent, manager = members["agent"], members["manager"]
    first = _ping(client, agent, found).content.decode()
    assert "is viewing this" not in first, "nobody else is here yet, and I am not shown to myself"
    seen_by_manager = _ping(client, manager, found).content.decode()
    assert f"{agent.user.display_name} is viewing this" in seen_by_manager
    _ping(client, agent, found, typing="1")
    assert (
        f"{agent.user.display_name} is replying" in _ping(client, manager, found).content.decode()
    )
    seen_by_agent = _ping(client, agent, found).content.decode()
    assert f"{manager.user.display_name} is viewing this" in seen_by_agent


def test_replying_fades_after_the_last_keystroke_and_leaving_removes_me(
    client,
    brand,
    members,
):
    found = conversation(brand, "p1", "Where is my parcel?")
    agent, manager = members["agent"], members["manager"]
    _ping(client, agent, found, typing="1")
    with time_machine.travel(presence.time.time() + presence.TYPING_SECONDS + 1, tick=False):
        _ping(client, agent, found)  # still there, no longer typing
        later = presence.others(manager, found.pk)
    assert [(p.name, p.typing) for p in later] == [(agent.user.display_name, False)]
    _ping(client, agent, found, leave="1")
    assert "is viewing" not in _ping(client, manager, found).content.decode()


def test_presence_of_another_workspace_is_not_shown(client, brand, members, outsider):
    found = conversation(brand, "p1", "Hello")
    presence.touch(found.pk, outsider.pk, "Someone Else")
    assert presence.others(members["agent"], found.pk) == []


def test_a_colleagues_reply_since_the_page_loaded_needs_a_confirmation(brand, members):
    found = conversation(brand, "p1", "Is the shop open on Sunday?")
    agent, manager = members["agent"], members["manager"]
    seen = presence.last_outgoing_id(found)
    replies.reply(manager, Actor(user=manager.user), found.pk, "Yes, 10 to 6.", seen_out_id=seen)
    with pytest.raises(presence.ReplyCollision) as refused:
        replies.reply(agent, Actor(user=agent.user), found.pk, "Yes!", seen_out_id=seen)
    assert manager.user.display_name in refused.value.messages[0]
    assert Message.objects.filter(direction=Direction.OUT).count() == 1, "nothing went out twice"
    replies.reply(agent, Actor(user=agent.user), found.pk, "Yes!", seen_out_id=seen, confirm=True)
    assert Message.objects.filter(direction=Direction.OUT).count() == 2


def test_my_own_earlier_reply_is_no_collision(brand, members):
    found = conversation(brand, "p1", "Is the shop open on Sunday?")
    agent = members["agent"]
    seen = presence.last_outgoing_id(found)
    replies.reply(agent, Actor(user=agent.user), found.pk, "Yes, 10 to 6.", seen_out_id=seen)
    replies.reply(agent, Actor(user=agent.user), found.pk, "And on holidays too.", seen_out_id=seen)
    assert Message.objects.filter(direction=Direction.OUT).count() == 2


def test_the_page_keeps_my_text_and_shows_the_colleagues_reply(client, brand, members, workspace):
    found = conversation(brand, "p1", "Is the shop open on Sunday?")
    agent, manager = members["agent"], members["manager"]
    client.force_login(agent.user)
    page = client.get(f"/w/{workspace.slug}/inbox/{found.pk}/").content.decode()
    assert 'name="seen_out" value="0"' in page
    replies.reply(manager, Actor(user=manager.user), found.pk, "Yes, from 10 to 6.")
    # The presence line tells the agent before they even send.
    told = _ping(client, agent, found, seen_out="0").content.decode()
    assert f"{manager.user.display_name} replied after you opened this conversation" in told
    url = f"/w/{workspace.slug}/inbox/{found.pk}/reply/"
    warned = client.post(url, {"text": "Yes, we are!", "seen_out": "0"}, HTTP_HX_REQUEST="true")
    body = warned.content.decode()
    assert warned.status_code == 200
    assert "replied while you were writing" in body
    assert "Yes, from 10 to 6." in body, "the colleague's reply is shown"
    assert "Yes, we are!" in body, "what I typed is kept"
    assert "Send anyway" in body
    newest = Message.objects.filter(direction=Direction.OUT).latest("pk").pk
    assert f'name="seen_out" value="{newest}"' in body
    sent = client.post(
        url, {"text": "Yes, we are!", "seen_out": str(newest)}, HTTP_HX_REQUEST="true"
    )
    assert sent.status_code == 204 and sent["HX-Redirect"].endswith(f"/inbox/{found.pk}/")
    assert Message.objects.filter(direction=Direction.OUT, sent_by=agent.user).count() == 1


def test_a_refused_text_comes_back_with_the_reason(client, brand, members, workspace):
    found = conversation(brand, "p1", "Hello")
    client.force_login(members["agent"].user)
    response = client.post(
        f"/w/{workspace.slug}/inbox/{found.pk}/reply/",
        {"text": "x" * 400, "seen_out": "0"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "x" * 400 in response.content.decode()
    assert 'class="form-errors"' in response.content.decode()
    assert not Message.objects.filter(direction=Direction.OUT).exists()


def test_the_api_refuses_a_colliding_reply_unless_confirmed(client, brand, members, workspace):
    from kalrav.api import tokens

    found = conversation(brand, "p1", "Hello")
    agent, manager = members["agent"], members["manager"]
    replies.reply(manager, Actor(user=manager.user), found.pk, "Hi there!")
    _record, token = tokens.create_token(agent, Actor(user=agent.user), name="bot", role="agent")
    url = f"/api/v1/workspaces/{workspace.slug}/conversations/{found.pk}/replies"

    def send(**body):
        return client.post(
            url,
            json.dumps({"text": "Hello!", **body}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )

    refused = send(seen_out_id=0)
    assert refused.status_code == 400
    assert refused.json()["problems"][0]["field"] == "seen_out_id"
    assert send(seen_out_id=0, confirm=True).status_code == 202
    assert send().status_code == 202, "a script that does not say what it saw is not checked"


def test_collision_is_a_validation_error():
    assert issubclass(presence.ReplyCollision, ValidationError)
