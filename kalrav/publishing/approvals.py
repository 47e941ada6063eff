"""Approvals: a variant is sent for approval, approved (and then scheduled for its planned time) or
sent back with changes asked for. Where a workspace requires approval, a variant reaches
`scheduled` only with an approval that no later edit has withdrawn (see posts.edit_variant).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kalrav.publishing import states
from kalrav.publishing.models import ApprovalRequest, Variant, VariantState
from kalrav.publishing.posts import locked_post, locked_variant
from kalrav.publishing.scheduling import schedule_locked
from kalrav.workspaces import audit
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import Member
from kalrav.workspaces.permissions import Perm


@transaction.atomic
def submit_for_approval(
    member: Member, actor: Actor, variant_id: int, *, comment: str = ""
) -> Variant:
    member.require(Perm.CONTENT_EDIT)
    variant = locked_variant(member, variant_id)
    if variant.state == VariantState.PENDING_APPROVAL:
        return variant  # asked already; a second click changes nothing
    before = states.change(variant, VariantState.PENDING_APPROVAL)
    variant.approved_at = None
    variant.approved_by = None
    variant.save()
    ApprovalRequest.objects.create(
        variant=variant, requested_by=actor.user, comment=comment.strip()
    )
    audit.record(
        member.workspace,
        actor,
        "variant.submit",
        variant,
        {"state": [before, variant.state], "comment": [None, comment.strip()]},
    )
    return variant


def _decide(
    member: Member, actor: Actor, variant_id: int, decision: str, comment: str, action: str
) -> Variant:
    member.require(Perm.CONTENT_APPROVE)
    variant = locked_variant(member, variant_id)
    if variant.state != VariantState.PENDING_APPROVAL:
        raise ValidationError(_("This variant is not waiting for approval."))
    now = timezone.now()
    before = states.change(variant, decision)
    if decision == VariantState.APPROVED:
        variant.approved_at, variant.approved_by = now, actor.user
    variant.save()
    request = variant.approvals.filter(decided_at=None).first() or ApprovalRequest(variant=variant)
    request.decided_by, request.decided_at = actor.user, now
    request.decision, request.decision_comment = decision, comment.strip()
    request.save()
    audit.record(
        member.workspace,
        actor,
        action,
        variant,
        {"state": [before, variant.state], "comment": [None, comment.strip()]},
    )
    return variant


@transaction.atomic
def approve_variant(member: Member, actor: Actor, variant_id: int, *, comment: str = "") -> Variant:
    """Approve; a variant that already has its time (planned before it was sent, kept through a
    last-minute edit, or set by a recurring series) goes on the schedule for that time, as the
    approver would expect. Where it cannot (the time has passed, a rule now refuses it) it stays
    approved with its time, to be scheduled by hand."""
    variant = _decide(member, actor, variant_id, VariantState.APPROVED, comment, "variant.approve")
    when = variant.scheduled_at
    if when is not None and when > timezone.now():
        try:
            with transaction.atomic():
                # Approving is consent to publish at the planned time: the approver (a client,
                # say) need not hold the right to edit content for it to be scheduled.
                return schedule_locked(member, actor, variant, when)
        except ValidationError:
            variant.refresh_from_db()
    return variant


@transaction.atomic
def request_changes(member: Member, actor: Actor, variant_id: int, *, comment: str) -> Variant:
    if not comment.strip():
        raise ValidationError({"comment": _("Say what should change.")})
    return _decide(
        member, actor, variant_id, VariantState.CHANGES_REQUESTED, comment, "variant.changes"
    )


@transaction.atomic
def submit_post(member: Member, actor: Actor, post_id: int, *, comment: str = "") -> list[Variant]:
    post = locked_post(member, post_id)
    waiting = post.variants.filter(
        state__in=[VariantState.DRAFT, VariantState.CHANGES_REQUESTED, VariantState.FAILED]
    )
    return [submit_for_approval(member, actor, v.pk, comment=comment) for v in waiting]


def awaiting(workspace_id: int) -> QuerySet[Variant]:
    """Every variant of the workspace waiting for a decision, the earliest due first (those without
    a time last), for the approvals queue."""
    return (
        Variant.objects.filter(post__workspace_id=workspace_id, state=VariantState.PENDING_APPROVAL)
        .select_related("post", "post__author", "channel")
        .order_by(F("scheduled_at").asc(nulls_last=True), "id")
    )


def awaiting_count(workspace_id: int) -> int:
    return Variant.objects.filter(
        post__workspace_id=workspace_id, state=VariantState.PENDING_APPROVAL
    ).count()


def decide_many(
    member: Member, actor: Actor, variant_ids: Iterable[int], *, approve: bool, comment: str = ""
) -> list[Variant]:
    """The approvals queue's bulk action: each chosen variant approved (and scheduled where it has
    a future time) or sent back, each in its own transaction with its own audit entry, so that one
    decided meanwhile by someone else does not undo the others. Those no longer waiting are
    skipped; the decided ones are returned."""
    member.require(Perm.CONTENT_APPROVE)
    if not approve and not comment.strip():
        raise ValidationError({"comment": _("Say what should change.")})
    waiting = Variant.objects.filter(
        pk__in=list(variant_ids),
        post__workspace_id=member.workspace_id,
        state=VariantState.PENDING_APPROVAL,
    ).order_by("id")
    decide = approve_variant if approve else request_changes
    decided = []
    for variant_id in waiting.values_list("pk", flat=True):
        try:
            decided.append(decide(member, actor, variant_id, comment=comment))
        except ValidationError:
            continue  # decided by someone else between the page and the click
    return decided


def approve_post(member: Member, actor: Actor, post_id: int, *, comment: str = "") -> list[Variant]:
    """The post page's "Approve all": every variant of the post that is waiting."""
    member.require(Perm.CONTENT_APPROVE)
    ids = Variant.objects.filter(
        post_id=post_id, post__workspace_id=member.workspace_id
    ).values_list("pk", flat=True)
    return decide_many(member, actor, list(ids), approve=True, comment=comment)
