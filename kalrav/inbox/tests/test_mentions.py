"""@mentions in internal notes: the people named are told in Kalrav and by email, the note shows
their names, and typing @ suggests members."""

from __future__ import annotations

from django.core import mail

from kalrav.inbox.models import InboxNotification
from kalrav.inbox.tests.teamwork import (  # noqa: F401 - fixtures
    brand_fixture,
    conversation,
    fake_network_fixture,
    make_member,
)
from kalrav.inbox.work import conversations, mentions
from kalrav.workspaces.audit import Actor


def test_a_note_tells_the_members_it_mentions(
    client,
    brand,
    members,
    workspace,
    django_capture_on_commit_callbacks,
):
    found = conversation(brand, "m1", "My refund never came")
    agent, manager = members["agent"], members["manager"]
    client.force_login(agent.user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/w/{workspace.slug}/inbox/{found.pk}/note/",
            {
                "text": "@manager can we refund? Ask @editor too, and mail refunds@agent.example. @agent"
            },
        )
    told = InboxNotification.objects.get()
    assert told.user == manager.user, "the author and a member who cannot read notes are not told"
    assert told.conversation == found and told.actor == agent.user
    assert [m.to for m in mail.outbox] == [[manager.user.email]]
    email = mail.outbox[0]
    assert agent.user.display_name in email.subject
    assert "can we refund?" in email.body
    assert f"/w/{workspace.slug}/inbox/{found.pk}/" in email.body
    page = client.get(f"/w/{workspace.slug}/inbox/{found.pk}/").content.decode()
    assert f'<b class="mention" title="@manager">@{manager.user.display_name}</b>' in page
    assert "@editor" in page and 'title="@editor"' not in page, "not a member who reads notes"


def test_mentions_are_listed_and_read_when_the_conversation_opens(
    client, brand, members, workspace
):
    found = conversation(brand, "m1", "My refund never came")
    agent, manager = members["agent"], members["manager"]
    conversations.add_note(agent, Actor(user=agent.user), found.pk, "@manager please call her")
    client.force_login(manager.user)
    listed = client.get(f"/w/{workspace.slug}/inbox/mentions/").content.decode()
    assert "please call her" in listed and "Unread" in listed
    assert mentions.unread_count(manager.user_id, workspace.pk) == 1
    assert "Mentions of me" in client.get(f"/w/{workspace.slug}/inbox/").content.decode()
    client.post(f"/w/{workspace.slug}/inbox/{found.pk}/presence/", HTTP_HX_REQUEST="true")
    assert mentions.unread_count(manager.user_id, workspace.pk) == 0


def test_typing_at_suggests_members(client, members, workspace):
    client.force_login(members["agent"].user)
    url = f"/w/{workspace.slug}/inbox/mentions/suggest/"
    found = client.get(url, {"q": "man"}).content.decode()
    assert 'data-handle="manager"' in found
    assert 'data-handle="owner"' not in found
    everyone = client.get(url, {"q": ""}).content.decode()
    assert 'data-handle="editor"' not in everyone, "an editor cannot read the inbox"
    assert "No member by that name" in client.get(url, {"q": "zzz"}).content.decode()


def test_two_members_with_the_same_name_before_the_at_get_their_whole_address(workspace, members):
    make_member(workspace, "manager@other.example", "agent")
    known = mentions.people(workspace.pk)
    assert "manager" not in known
    assert {"manager@example.test", "manager@other.example"} <= set(known)
    text = "ask @manager@other.example."
    assert [p.email for p in mentions.mentioned(text, known)] == ["manager@other.example"]
    html = mentions.render(text, known)
    assert html.endswith("</b>."), "the full stop after a handle stays text"


def test_note_text_is_escaped(workspace, members):
    known = mentions.people(workspace.pk)
    html = mentions.render("<script>x</script> @agent", known)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'class="mention"' in html
