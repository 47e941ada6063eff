"""The problems view: open complaints stay listed, with their state and age, until solved."""

from __future__ import annotations

import json
import re

from kalrav.inbox.models import Conversation, Priority
from kalrav.inbox.tests.teamwork import (  # noqa: F401 - fixtures
    brand_fixture,
    conversation,
    fake_network_fixture,
)
from kalrav.inbox.work import conversations, problems
from kalrav.workspaces.audit import Actor


def _world(brand, members):
    agent = members["agent"]
    negative = conversation(brand, "n1", "Terrible service, my order is lost. Awful.")
    tagged = conversation(brand, "t1", "The lid of the box was loose", author="ravi")
    conversations.set_tags(agent, Actor(user=agent.user), tagged.pk, ["Complaint"])
    urgent = conversation(brand, "u1", "Please call me back today", author="mira")
    Conversation.objects.filter(pk=urgent.pk).update(priority=Priority.URGENT)
    praise = conversation(brand, "p1", "Thank you, the tea was wonderful!", author="lena")
    plural = conversation(brand, "c1", "Where do I send complaints?", author="omar")
    conversations.set_tags(agent, Actor(user=agent.user), plural.pk, ["complaints-desk"])
    solved = conversation(brand, "s1", "Awful, broken cup, terrible!", author="zoe")
    conversations.set_state(agent, Actor(user=agent.user), solved.pk, "resolved")
    return {
        "problems": {negative.pk, tagged.pk, urgent.pk},
        "others": {praise.pk, plural.pk, solved.pk},
    }


def test_problems_are_open_complaints(brand, members, workspace):
    world = _world(brand, members)
    found = set(
        problems.only_problems(Conversation.objects.filter(workspace=workspace)).values_list(
            "pk", flat=True
        )
    )
    assert found == world["problems"]
    assert problems.count(workspace.pk, fresh=True) == 3


def test_the_problems_view_is_first_in_the_sidebar_and_counted_in_the_nav(
    client, brand, members, workspace
):
    _world(brand, members)
    client.force_login(members["agent"].user)
    page = client.get(f"/w/{workspace.slug}/inbox/?view=problems").content.decode()
    assert "Terrible service" in page and "lid of the box" in page and "call me back" in page
    assert "wonderful" not in page and "broken cup" not in page and "send complaints" not in page
    assert page.count("open for ") == 3, "each problem shows how long it has been open"
    assert ' · 3 open problems"' in page, "the count next to Inbox in the navigation"
    sidebar = page.split('class="view-list"')[1]
    assert sidebar.index("Problems") < 200, "Problems comes first"
    # Once solved, a problem leaves the list (and the count).
    agent = members["agent"]
    first = Conversation.objects.get(root_remote_id="n1")
    conversations.set_state(agent, Actor(user=agent.user), first.pk, "resolved")
    again = client.get(f"/w/{workspace.slug}/inbox/?view=problems").content.decode()
    assert "Terrible service" not in again and ' · 2 open problems"' in again


def test_the_count_shows_on_other_pages_but_not_to_roles_without_the_inbox(
    client, brand, members, workspace
):
    _world(brand, members)
    client.force_login(members["manager"].user)
    calendar = client.get(f"/w/{workspace.slug}/calendar/")
    assert calendar.status_code == 200 and ' · 3 open problems"' in calendar.content.decode()
    client.force_login(members["editor"].user)
    page = client.get(f"/w/{workspace.slug}/calendar/").content.decode()
    assert "open problems" not in page


def test_problems_over_the_api_oldest_first(client, brand, members, workspace):
    from kalrav.api import tokens

    world = _world(brand, members)
    agent = members["agent"]
    _record, token = tokens.create_token(agent, Actor(user=agent.user), name="bot", role="agent")
    listed = client.get(
        f"/api/v1/workspaces/{workspace.slug}/problems", HTTP_AUTHORIZATION=f"Bearer {token}"
    ).json()
    assert {row["id"] for row in listed} == world["problems"]
    assert [row["received_at"] for row in listed] == sorted(row["received_at"] for row in listed)
    assert all(row["age_minutes"] >= 0 for row in listed)
    assert json.dumps(listed)


def test_new_means_one_thing_in_the_navigation_the_heading_and_the_views(
    client, brand, members, workspace
):
    _world(brand, members)
    # One new conversation read: it is no longer new anywhere.
    Conversation.objects.filter(root_remote_id="p1").update(unread=False)
    client.force_login(members["agent"].user)
    page = client.get(f"/w/{workspace.slug}/inbox/").content.decode()
    expected = Conversation.objects.filter(
        workspace=workspace, unread=True, state__in=["new", "open", "pending"]
    ).count()
    assert expected == 4
    nav = re.search(r'nav-count" title="([^"]*)"><span aria-hidden="true">(\d+)<', page)
    assert nav is not None
    assert nav.group(2) == str(expected)
    assert nav.group(1) == f"{expected} new conversations · 3 open problems"
    assert f"{expected} new</span></h1>" in page.replace("\n", "")
    # No other "unread" count competes with "new".
    assert " unread</span>" not in page
