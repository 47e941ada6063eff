"""The approvals queue: every waiting variant on one page, decided many at once; "Approve all" on a
post; the count beside it in the navigation. Permissions and audit as for one-by-one approval."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kalrav.publishing import approvals, posts, scheduling
from kalrav.publishing.models import VariantState
from kalrav.publishing.tests.helpers import channel
from kalrav.workspaces import services as workspace_services
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import AuditEntry

pytestmark = pytest.mark.django_db

S = VariantState


@pytest.fixture
def channels(workspace):
    return [
        channel(workspace),
        channel(workspace, network="mastodon", name="Shanti on Mastodon", handle="@shanti@m.test"),
    ]


def make_post(members, channels, title, *, submit=True, when=None):
    editor = members["editor"]
    actor = Actor(user=editor.user)
    post = posts.create_post(
        editor, actor, title=title, text=f"{title}: fresh tea", channel_ids=[c.pk for c in channels]
    )
    for variant in post.variants.all():
        if when is not None:
            scheduling.plan_variant(editor, actor, variant.pk, when)
    if submit:
        approvals.submit_post(editor, actor, post.pk)
    return post


def test_the_queue_lists_every_waiting_variant_with_network_author_time_and_text(
    member_client, workspace, members, channels
):
    make_post(members, channels, "Monsoon", when=timezone.now() + timedelta(days=2))
    make_post(members, channels, "Still a draft", submit=False)
    page = member_client("manager").get(f"/w/{workspace.slug}/approvals/").content.decode()
    assert page.count('name="variant"') == 2
    assert "Monsoon: fresh tea" in page and "Still a draft" not in page
    assert "Shanti on Mastodon" in page and "Mastodon" in page
    assert members["editor"].user.display_name in page
    assert "Asia/Kolkata" in page
    assert "Approve the ticked" in page


def test_an_empty_queue_says_what_it_is_for(member_client, workspace):
    page = member_client("manager").get(f"/w/{workspace.slug}/approvals/").content.decode()
    assert "Nothing is waiting for approval" in page


def test_bulk_approval_approves_and_schedules_each_ticked_variant_with_its_audit(
    member_client, workspace, members, channels
):
    when = timezone.now() + timedelta(days=2)
    first = make_post(members, channels, "Monsoon", when=when)
    second = make_post(members, channels, "Darjeeling")
    ticked = [*first.variants.values_list("pk", flat=True), second.variants.first().pk]
    response = member_client("manager").post(
        f"/w/{workspace.slug}/approvals/decide/",
        {"variant": [str(pk) for pk in ticked], "decision": "approve"},
        follow=True,
    )
    assert "3 variants approved." in response.content.decode()
    # Planned for a time: on the schedule at once; without a time: approved, waiting for one.
    assert set(first.variants.values_list("state", flat=True)) == {S.SCHEDULED}
    assert sorted(second.variants.values_list("state", flat=True)) == [
        S.APPROVED,
        S.PENDING_APPROVAL,
    ]
    assert AuditEntry.objects.filter(action="variant.approve").count() == 3


def test_bulk_changes_need_a_comment_and_then_send_each_back(
    member_client, workspace, members, channels
):
    post = make_post(members, channels, "Monsoon")
    ids = [str(pk) for pk in post.variants.values_list("pk", flat=True)]
    url = f"/w/{workspace.slug}/approvals/decide/"
    client = member_client("client")
    refused = client.post(url, {"variant": ids, "decision": "changes"}, follow=True)
    assert "Say what should change." in refused.content.decode()
    assert set(post.variants.values_list("state", flat=True)) == {S.PENDING_APPROVAL}
    client.post(url, {"variant": ids, "decision": "changes", "comment": "Warmer, please"})
    assert set(post.variants.values_list("state", flat=True)) == {S.CHANGES_REQUESTED}
    assert AuditEntry.objects.filter(action="variant.changes").count() == 2


@pytest.mark.parametrize("role", ["editor", "agent", "analyst"])
def test_only_those_who_approve_decide_in_bulk(member_client, workspace, members, channels, role):
    post = make_post(members, channels, "Monsoon")
    ids = [str(pk) for pk in post.variants.values_list("pk", flat=True)]
    client = member_client(role)
    assert (
        client.post(f"/w/{workspace.slug}/approvals/decide/", {"variant": ids}).status_code == 403
    )
    assert client.post(f"/w/{workspace.slug}/posts/{post.pk}/approve/").status_code == 403
    assert set(post.variants.values_list("state", flat=True)) == {S.PENDING_APPROVAL}


def test_variants_of_another_workspace_are_not_decided(
    member_client, workspace, members, channels, other_workspace_post
):
    response = member_client("manager").post(
        f"/w/{workspace.slug}/approvals/decide/",
        {"variant": [str(other_workspace_post.variants.get().pk)], "decision": "approve"},
        follow=True,
    )
    assert "0 variants approved." in response.content.decode()
    assert other_workspace_post.variants.get().state == S.PENDING_APPROVAL


@pytest.fixture
def other_workspace_post(owner):
    other = workspace_services.create_workspace(owner, Actor(user=owner), name="Other tea")
    boss = other.members.get(user=owner)
    sky = channel(other)
    post = posts.create_post(boss, Actor(user=owner), title="Theirs", channel_ids=[sky.pk])
    approvals.submit_post(boss, Actor(user=owner), post.pk)
    return post


def test_approve_all_on_a_post_approves_every_waiting_variant(
    member_client, workspace, members, channels
):
    post = make_post(members, channels, "Monsoon")
    page = member_client("manager").get(f"/w/{workspace.slug}/posts/{post.pk}/").content.decode()
    assert "2 variants are waiting for approval." in page and "Approve all" in page
    response = member_client("manager").post(
        f"/w/{workspace.slug}/posts/{post.pk}/approve/", follow=True
    )
    assert "2 variants approved." in response.content.decode()
    assert set(post.variants.values_list("state", flat=True)) == {S.APPROVED}
    # Nothing left to approve: the button is gone.
    page = member_client("manager").get(f"/w/{workspace.slug}/posts/{post.pk}/").content.decode()
    assert "Approve all" not in page


def test_the_navigation_links_the_queue_with_its_count(member_client, workspace, members, channels):
    calendar = f"/w/{workspace.slug}/calendar/"
    assert "/approvals/" in member_client("manager").get(calendar).content.decode()
    # Writers see the link only while something waits.
    assert (
        f"/w/{workspace.slug}/approvals/"
        not in member_client("editor").get(calendar).content.decode()
    )
    make_post(members, channels, "Monsoon")
    page = member_client("editor").get(calendar).content.decode()
    assert f'href="/w/{workspace.slug}/approvals/"' in page
    assert "2 waiting for approval" in page


def test_the_queue_page_does_not_query_per_row(member_client, workspace, members, channels):
    client = member_client("manager")
    url = f"/w/{workspace.slug}/approvals/"
    make_post(members, channels, "One")
    client.get(url)  # the first visit fills caches the navigation keeps
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(4):
        make_post(members, channels, f"More {n}", when=timezone.now() + timedelta(days=n + 1))
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).content.decode().count('name="variant"') == 10
    assert len(many) == len(few)
