"""Saved views: private or shared, listed with their counts, renamed and deleted by who may."""

from __future__ import annotations

import json
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kalrav.inbox.models import SavedView
from kalrav.inbox.tests.teamwork import (  # noqa: F401 - fixtures
    brand_fixture,
    conversation,
    fake_network_fixture,
)
from kalrav.inbox.work import saved_views
from kalrav.workspaces.audit import Actor


def _save(member, name, filters, shared=False):
    return saved_views.save_view(
        member, Actor(user=member.user), name=name, filters=filters, shared=shared
    )


def test_private_views_are_mine_and_shared_ones_everyones(client, members, workspace):
    agent, manager = members["agent"], members["manager"]
    _save(agent, "My negatives", {"sentiment": "negative", "page": "3", "junk": "x"})
    _save(agent, "Team queue", {"assignee": "none"}, shared=True)
    assert SavedView.objects.get(name="My negatives").filters == {"sentiment": "negative"}
    client.force_login(manager.user)
    seen = client.get(f"/w/{workspace.slug}/inbox/").content.decode()
    assert "Team queue" in seen and "My negatives" not in seen
    client.force_login(agent.user)
    mine = client.get(f"/w/{workspace.slug}/inbox/").content.decode()
    assert "Team queue" in mine and "My negatives" in mine


def test_the_sidebar_counts_open_and_unread(brand, client, members, workspace):
    agent = members["agent"]
    conversation(brand, "s1", "Terrible, my order is lost and nobody answers. Awful.")
    conversation(brand, "s2", "Awful service, broken cup, terrible.", author="ravi")
    conversation(brand, "s3", "Thank you, the tea was wonderful!", author="mira")
    _save(agent, "Negative", {"sentiment": "negative"})
    entries = {e.name: e for e in saved_views.sidebar(agent, {"sentiment": "negative"})}
    assert (entries["Negative"].open_count, entries["Negative"].unread_count) == (2, 2)
    assert entries["Negative"].active and not entries["Problems"].active
    client.force_login(agent.user)
    page = client.get(f"/w/{workspace.slug}/inbox/?sentiment=negative").content.decode()
    # A view's name is the user's text: isolated (issue 15, finding 12).
    assert re.search(r'aria-current="page">\s*<span class="view-name"><bdi>Negative</bdi><', page)


def test_save_from_the_page_keeps_the_filters_on_screen(client, members, workspace):
    client.force_login(members["agent"].user)
    response = client.post(
        f"/w/{workspace.slug}/inbox/views/",
        {"name": "Unassigned", "query": "assignee=none&q=refund&page=2", "shared": "on"},
    )
    saved = SavedView.objects.get()
    assert saved.filters == {"assignee": "none", "q": "refund"} and saved.shared
    assert response["Location"] == f"/w/{workspace.slug}/inbox/?assignee=none&q=refund"
    again = client.post(
        f"/w/{workspace.slug}/inbox/views/", {"name": "unassigned", "query": ""}, follow=True
    )
    assert "You have a view of that name already." in again.content.decode()
    assert SavedView.objects.count() == 1


def test_rename_and_delete_only_by_who_may(members):
    agent, manager, owner = members["agent"], members["manager"], members["owner"]
    private = _save(agent, "Mine", {"state": "open"})
    shared = _save(agent, "Ours", {"state": "pending"}, shared=True)
    with pytest.raises(SavedView.DoesNotExist):
        saved_views.delete_view(manager, Actor(user=manager.user), private.pk)
    renamed = saved_views.change_view(manager, Actor(user=manager.user), shared.pk, name="Waiting")
    assert renamed.name == "Waiting", "a manager tidies the workspace's shared views"
    with pytest.raises(ValidationError):
        saved_views.change_view(agent, Actor(user=agent.user), private.pk, name="  ")
    saved_views.change_view(agent, Actor(user=agent.user), private.pk, shared=True)
    assert SavedView.objects.get(pk=private.pk).shared
    saved_views.delete_view(owner, Actor(user=owner.user), shared.pk)
    assert not SavedView.objects.filter(pk=shared.pk).exists()
    by_manager = _save(manager, "Shared by manager", {}, shared=True)
    with pytest.raises(PermissionDenied):
        saved_views.delete_view(agent, Actor(user=agent.user), by_manager.pk)


def test_views_over_the_api(client, members, workspace):
    from kalrav.api import tokens

    agent = members["agent"]
    _record, token = tokens.create_token(agent, Actor(user=agent.user), name="bot", role="agent")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    base = f"/api/v1/workspaces/{workspace.slug}/views"
    made = client.post(
        base,
        json.dumps({"name": "Late", "filters": {"sort": "due"}, "shared": True}),
        content_type="application/json",
        **auth,
    )
    assert made.status_code == 201 and made.json()["filters"] == {"sort": "due"}
    view_id = made.json()["id"]
    listed = client.get(base, **auth).json()
    assert [v["name"] for v in listed] == ["Late"] and listed[0]["open_count"] == 0
    patched = client.patch(
        f"{base}/{view_id}",
        json.dumps({"name": "Late ones"}),
        content_type="application/json",
        **auth,
    )
    assert patched.json()["name"] == "Late ones"
    assert client.delete(f"{base}/{view_id}", **auth).status_code == 204
    assert client.get(base, **auth).json() == []
