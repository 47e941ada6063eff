"""The rules of a variant's life, driven through the services as the views and API drive them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from kalrav.connectors.base import PublishedRef
from kalrav.publishing import approvals, posts, scheduling, states, workspace_settings
from kalrav.publishing.delivery import leases
from kalrav.publishing.models import ApprovalRequest, Attempt, VariantState
from kalrav.publishing.tests.helpers import channel
from kalrav.workspaces import services as workspace_services
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import AuditEntry, Member

pytestmark = pytest.mark.django_db

S = VariantState


def actor(member):
    return Actor(user=member.user)


@pytest.fixture
def channels(workspace):
    return [
        channel(workspace),
        channel(workspace, network="mastodon", name="Shanti on Mastodon", handle="@shanti@m.test"),
    ]


@pytest.fixture
def post(members, channels):
    editor = members["editor"]
    return posts.create_post(
        editor,
        actor(editor),
        title="Monsoon blend",
        text="The monsoon blend is back. #ShantiTea",
        campaign="Monsoon",
        tags="tea, monsoon, Tea",
        channel_ids=[c.pk for c in channels],
    )


def require_approval(members, on=True, reapprove=True):
    owner = members["owner"]
    workspace_settings.update_publishing_settings(
        owner, actor(owner), require_approval=on, reapprove_after_edit=reapprove
    )


def later(hours=24):
    return timezone.now() + timedelta(hours=hours)


def test_post_gets_a_variant_per_channel_starting_from_the_master_copy(post, channels):
    variants = list(post.variants.order_by("channel__network"))
    assert [v.channel for v in variants] == channels
    assert all(v.text == post.text and v.state == S.DRAFT for v in variants)
    assert post.tags == ["tea", "monsoon"]
    assert len({v.idempotency_key for v in variants}) == 2
    assert AuditEntry.objects.filter(action="post.create", object_id=str(post.pk)).exists()


def test_variant_text_is_free_after_the_first_copy(post, members):
    editor = members["editor"]
    variant = post.variants.first()
    posts.edit_variant(editor, actor(editor), variant.pk, text="Only for Bluesky")
    posts.update_post(editor, actor(editor), post.pk, text="A new master copy")
    variant.refresh_from_db()
    assert variant.text == "Only for Bluesky"


def test_idempotency_key_never_changes(post, members):
    editor = members["editor"]
    variant = post.variants.first()
    key = variant.idempotency_key
    posts.edit_variant(editor, actor(editor), variant.pk, text="Other words #ShantiTea")
    scheduling.schedule_variant(editor, actor(editor), variant.pk, later())
    variant.refresh_from_db()
    assert variant.idempotency_key == key


def test_approval_round_trip(post, members):
    editor, client = members["editor"], members["client"]
    variant = post.variants.first()
    approvals.submit_for_approval(editor, actor(editor), variant.pk, comment="For Monday")
    approvals.request_changes(client, actor(client), variant.pk, comment="Mention the price")
    variant.refresh_from_db()
    assert variant.state == S.CHANGES_REQUESTED
    approvals.submit_for_approval(editor, actor(editor), variant.pk)
    approvals.approve_variant(client, actor(client), variant.pk, comment="Lovely")
    variant.refresh_from_db()
    assert variant.state == S.APPROVED and variant.approved_by == client.user
    rounds = list(ApprovalRequest.objects.filter(variant=variant).order_by("requested_at", "id"))
    assert [r.decision for r in rounds] == ["changes_requested", "approved"]
    assert rounds[0].comment == "For Monday" and rounds[0].decision_comment == "Mention the price"
    actions = list(
        AuditEntry.objects.filter(object_id=str(variant.pk), object_type="publishing.variant")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["variant.submit", "variant.changes", "variant.submit", "variant.approve"]


def test_asking_for_changes_needs_a_comment(post, members):
    editor, manager = members["editor"], members["manager"]
    variant = post.variants.first()
    approvals.submit_for_approval(editor, actor(editor), variant.pk)
    with pytest.raises(ValidationError):
        approvals.request_changes(manager, actor(manager), variant.pk, comment="  ")


@pytest.mark.parametrize("role", ["editor", "agent", "analyst"])
def test_only_managers_owners_and_clients_approve(post, members, role):
    editor = members["editor"]
    variant = post.variants.first()
    approvals.submit_for_approval(editor, actor(editor), variant.pk)
    with pytest.raises(PermissionDenied):
        approvals.approve_variant(members[role], actor(members[role]), variant.pk)


@pytest.mark.parametrize("role", ["agent", "analyst", "client"])
def test_only_writers_write(members, channels, role):
    with pytest.raises(PermissionDenied):
        posts.create_post(members[role], actor(members[role]), text="hi", channel_ids=[])


def test_approval_is_only_for_waiting_variants(post, members):
    manager = members["manager"]
    with pytest.raises(ValidationError):
        approvals.approve_variant(manager, actor(manager), post.variants.first().pk)


def test_without_required_approval_a_draft_can_be_scheduled(post, members):
    editor = members["editor"]
    variant = post.variants.first()
    when = later()
    scheduling.schedule_variant(editor, actor(editor), variant.pk, when)
    variant.refresh_from_db()
    assert variant.state == S.SCHEDULED and variant.scheduled_at == when


def test_an_unapproved_variant_never_becomes_scheduled_when_approval_is_required(post, members):
    require_approval(members)
    editor, manager = members["editor"], members["manager"]
    variant = post.variants.first()
    with pytest.raises(ValidationError, match="requires approval"):
        scheduling.schedule_variant(editor, actor(editor), variant.pk, later())
    approvals.submit_for_approval(editor, actor(editor), variant.pk)
    with pytest.raises(ValidationError):
        scheduling.schedule_variant(manager, actor(manager), variant.pk, later())
    approvals.approve_variant(manager, actor(manager), variant.pk)
    scheduling.schedule_variant(editor, actor(editor), variant.pk, later())
    variant.refresh_from_db()
    assert variant.state == S.SCHEDULED


def test_last_minute_edit_sends_an_approved_variant_back(post, members):
    require_approval(members)
    editor, manager = members["editor"], members["manager"]
    variant = post.variants.first()
    approvals.submit_for_approval(editor, actor(editor), variant.pk)
    approvals.approve_variant(manager, actor(manager), variant.pk)
    when = later()
    scheduling.schedule_variant(editor, actor(editor), variant.pk, when)
    posts.edit_variant(editor, actor(editor), variant.pk, text="Price cut! #ShantiTea")
    variant.refresh_from_db()
    assert variant.state == S.PENDING_APPROVAL
    assert variant.approved_at is None and variant.scheduled_at == when
    # It cannot be scheduled again until someone approves the new words.
    with pytest.raises(ValidationError):
        scheduling.schedule_variant(editor, actor(editor), variant.pk, when)
    # Nothing due is left for the publisher either.
    assert leases.claim_due_variants("w1", now=when + timedelta(minutes=1)) == []
    # Approved again, it returns to its time on its own.
    approvals.approve_variant(manager, actor(manager), variant.pk)
    variant.refresh_from_db()
    assert variant.state == S.SCHEDULED and variant.scheduled_at == when


def test_approving_a_variant_with_its_time_puts_it_on_the_schedule(post, members):
    """Planned, sent, approved by the client (who cannot edit content): it goes out at its time
    without anyone scheduling it again."""
    require_approval(members)
    editor, client = members["editor"], members["client"]
    variant = post.variants.first()
    when = later()
    scheduling.plan_variant(editor, actor(editor), variant.pk, when)
    approvals.submit_for_approval(editor, actor(editor), variant.pk)
    approved = approvals.approve_variant(client, actor(client), variant.pk)
    variant.refresh_from_db()
    assert approved.state == variant.state == S.SCHEDULED and variant.scheduled_at == when
    assert variant.approved_by == client.user
    entries = AuditEntry.objects.filter(object_id=str(variant.pk)).order_by("id")
    assert [(e.action, e.actor_id) for e in entries][-2:] == [
        ("variant.approve", client.user.pk),
        ("variant.schedule", client.user.pk),
    ]
    assert [v.pk for v in leases.claim_due_variants("w1", now=when + timedelta(minutes=1))] == [
        variant.pk
    ]


def test_approval_leaves_a_past_or_refused_time_to_a_person(post, members):
    require_approval(members)
    editor, manager = members["editor"], members["manager"]
    past, refused = post.variants.order_by("id")
    scheduling.plan_variant(editor, actor(editor), past.pk, timezone.now() - timedelta(hours=1))
    scheduling.plan_variant(editor, actor(editor), refused.pk, later())
    for variant in (past, refused):
        approvals.submit_for_approval(editor, actor(editor), variant.pk)
    # A rule the network enforces is broken after it was sent (here, straight in the database).
    type(refused).objects.filter(pk=refused.pk).update(text="x" * 600)
    for variant in (past, refused):
        assert approvals.approve_variant(manager, actor(manager), variant.pk).state == S.APPROVED
        variant.refresh_from_db()
        assert variant.state == S.APPROVED and variant.approved_at is not None
        assert variant.scheduled_at is not None


def test_edit_keeps_approval_when_the_workspace_does_not_ask_again(post, members):
    require_approval(members, reapprove=False)
    editor, manager = members["editor"], members["manager"]
    variant = post.variants.first()
    approvals.submit_for_approval(editor, actor(editor), variant.pk)
    approvals.approve_variant(manager, actor(manager), variant.pk)
    posts.edit_variant(editor, actor(editor), variant.pk, text="Typo fixed #ShantiTea")
    variant.refresh_from_db()
    assert variant.state == S.APPROVED


def test_an_edit_that_changes_nothing_keeps_the_approval(post, members):
    require_approval(members)
    editor, manager = members["editor"], members["manager"]
    variant = post.variants.first()
    approvals.submit_for_approval(editor, actor(editor), variant.pk)
    approvals.approve_variant(manager, actor(manager), variant.pk)
    posts.edit_variant(editor, actor(editor), variant.pk, text=variant.text)
    variant.refresh_from_db()
    assert variant.state == S.APPROVED


def test_unschedule_returns_to_approved_or_draft(post, members):
    editor, manager = members["editor"], members["manager"]
    first, second = post.variants.order_by("id")
    scheduling.schedule_variant(editor, actor(editor), first.pk, later())
    scheduling.unschedule_variant(editor, actor(editor), first.pk)
    first.refresh_from_db()
    assert first.state == S.DRAFT and first.scheduled_at is not None
    approvals.submit_for_approval(editor, actor(editor), second.pk)
    approvals.approve_variant(manager, actor(manager), second.pk)
    scheduling.schedule_variant(editor, actor(editor), second.pk, later())
    scheduling.unschedule_variant(editor, actor(editor), second.pk)
    second.refresh_from_db()
    assert second.state == S.APPROVED


def test_scheduling_in_the_past_is_refused(post, members):
    editor = members["editor"]
    with pytest.raises(ValidationError, match="future"):
        scheduling.schedule_variant(
            editor, actor(editor), post.variants.first().pk, timezone.now() - timedelta(minutes=1)
        )


def test_a_variant_too_long_for_its_network_is_not_scheduled(post, members):
    editor = members["editor"]
    variant = post.variants.get(channel__network="bluesky")
    posts.edit_variant(editor, actor(editor), variant.pk, text="চা " * 200)
    with pytest.raises(ValidationError, match="Too long"):
        scheduling.schedule_variant(editor, actor(editor), variant.pk, later())


def test_brand_rules_stop_scheduling(post, members, workspace):
    owner, editor = members["owner"], members["editor"]
    workspace_services.update_brand_profile(
        owner, actor(owner), banned_words=["cheapest"], required_hashtags=["#ShantiTea"]
    )
    variant = post.variants.first()
    posts.edit_variant(editor, actor(editor), variant.pk, text="The cheapest tea in town")
    with pytest.raises(ValidationError) as raised:
        scheduling.schedule_variant(editor, actor(editor), variant.pk, later())
    text = " ".join(raised.value.messages)
    assert "cheapest" in text and "#ShantiTea" in text


def test_schedule_post_is_all_or_nothing(post, members):
    editor = members["editor"]
    bluesky = post.variants.get(channel__network="bluesky")
    posts.edit_variant(editor, actor(editor), bluesky.pk, text="x" * 301)
    with pytest.raises(ValidationError):
        scheduling.schedule_post(editor, actor(editor), post.pk, later())
    assert not post.variants.filter(state=S.SCHEDULED).exists()


def test_channels_can_be_added_and_removed_from_a_post(post, members, workspace, channels):
    editor = members["editor"]
    third = channel(workspace, network="telegram", name="Shanti on Telegram")
    posts.update_post(editor, actor(editor), post.pk, channel_ids=[channels[0].pk, third.pk])
    assert sorted(post.variants.values_list("channel__network", flat=True)) == [
        "bluesky",
        "telegram",
    ]


def test_channels_of_another_workspace_are_refused(members, outsider):

    foreign = channel(Member.objects.get(user=outsider).workspace)
    editor = members["editor"]
    with pytest.raises(ValidationError):
        posts.create_post(editor, actor(editor), text="hi", channel_ids=[foreign.pk])


def test_publisher_claims_once_and_records_the_outcome(post, members):
    editor = members["editor"]
    first, second = post.variants.order_by("id")
    when = later(1)
    for v in (first, second):
        scheduling.schedule_variant(editor, actor(editor), v.pk, when)
    due = when + timedelta(seconds=1)
    claimed = leases.claim_due_variants("worker-a", now=due)
    assert {v.pk for v in claimed} == {first.pk, second.pk}
    # A second worker finds nothing while the leases hold.
    assert leases.claim_due_variants("worker-b", now=due) == []
    one, two = sorted(claimed, key=lambda v: v.pk)
    attempt = leases.start_attempt(one)
    assert leases.record_published(one, attempt, PublishedRef("at://x/1", "https://bsky.app/x/1"))
    failed = leases.start_attempt(two)
    leases.record_failure(
        two, failed, outcome=Attempt.Outcome.REJECTED, error_type="Rejected", error_text="Too long"
    )
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.state == S.PUBLISHED and first.remote_url == "https://bsky.app/x/1"
    assert second.state == S.FAILED and second.last_error == "Too long"
    # A published variant cannot be edited, moved or deleted with its post.
    with pytest.raises(ValidationError):
        posts.edit_variant(editor, actor(editor), first.pk, text="again")
    with pytest.raises(ValidationError):
        posts.delete_post(editor, actor(editor), post.pk)


def test_an_expired_lease_is_taken_over(post, members):
    editor = members["editor"]
    variant = post.variants.first()
    when = later(1)
    scheduling.schedule_variant(editor, actor(editor), variant.pk, when)
    [held] = leases.claim_due_variants("a", now=when, lease=timedelta(minutes=5))
    [taken] = leases.claim_due_variants("b", now=when + timedelta(minutes=6))
    assert taken.pk == held.pk and taken.claimed_by != held.claimed_by
    # The first worker lost its lease: its late success is not recorded over the second's.
    assert not leases.record_published(held, leases.start_attempt(held), PublishedRef("r"))


def test_every_transition_in_the_table_is_reachable_or_refused():
    # The table is the contract: a published variant can only be deleted from the network, and
    # nothing skips to published (a refused delete returns to it).
    assert states.TRANSITIONS[S.PUBLISHED] == frozenset({S.DELETING})
    assert states.TRANSITIONS[S.DELETED] == frozenset()
    assert all(
        S.PUBLISHED not in targets
        for s, targets in states.TRANSITIONS.items()
        if s not in (S.PUBLISHING, S.DELETING)
    )
    assert set(states.TRANSITIONS) == set(S.values)


def test_move_keeps_the_local_time(post, members, workspace):
    editor = members["editor"]
    variant = post.variants.first()
    # 18:30 in Kolkata (UTC+5:30) is 13:00 UTC.
    when = datetime(2099, 3, 3, 13, 0, tzinfo=UTC)
    scheduling.schedule_variant(editor, actor(editor), variant.pk, when)
    scheduling.move_variant(editor, actor(editor), variant.pk, datetime(2099, 3, 9).date())
    variant.refresh_from_db()
    assert variant.scheduled_at == datetime(2099, 3, 9, 13, 0, tzinfo=UTC)
    assert variant.state == S.SCHEDULED
