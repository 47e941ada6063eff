"""Which state a variant may move to from which, in one table the services and tests share.

draft → pending_approval → approved | changes_requested → scheduled → publishing → published | failed;
published → deleting → deleted (or back to published when the network refuses).
Whether `scheduled` may be reached without `approved` depends on the workspace (see approvals.py).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kalrav.publishing.models import Variant
from kalrav.publishing.models import VariantState as S

TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.PENDING_APPROVAL, S.SCHEDULED}),
    S.PENDING_APPROVAL: frozenset({S.APPROVED, S.CHANGES_REQUESTED, S.SCHEDULED, S.DRAFT}),
    S.CHANGES_REQUESTED: frozenset({S.PENDING_APPROVAL, S.SCHEDULED, S.DRAFT}),
    S.APPROVED: frozenset({S.SCHEDULED, S.PENDING_APPROVAL, S.DRAFT}),
    S.SCHEDULED: frozenset({S.PUBLISHING, S.DRAFT, S.APPROVED, S.PENDING_APPROVAL}),
    # A worker whose lease expired leaves `publishing`; the next worker reconciles and finishes.
    S.PUBLISHING: frozenset({S.PUBLISHED, S.FAILED, S.SCHEDULED}),
    # Deleting from the network runs in a task: it ends deleted, or back to published (with the
    # network's words) when the network refused. A deleted variant stays, as a record.
    S.PUBLISHED: frozenset({S.DELETING}),
    S.FAILED: frozenset({S.SCHEDULED, S.DRAFT, S.PENDING_APPROVAL}),
    S.DELETING: frozenset({S.DELETED, S.PUBLISHED}),
    S.DELETED: frozenset(),
}

# States in which the words, media or time may still change.
EDITABLE = frozenset(
    {S.DRAFT, S.PENDING_APPROVAL, S.CHANGES_REQUESTED, S.APPROVED, S.SCHEDULED, S.FAILED}
)

# Badge style per state, so status never rests on colour alone: the badge also says the state.
BADGE = {
    S.DRAFT: "",
    S.PENDING_APPROVAL: "warn",
    S.CHANGES_REQUESTED: "warn",
    S.APPROVED: "ok",
    S.SCHEDULED: "ok",
    S.PUBLISHING: "",
    S.PUBLISHED: "ok",
    S.FAILED: "bad",
    S.DELETING: "warn",
    S.DELETED: "",
}


def allowed(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def change(variant: Variant, target: str) -> str:
    """Move the variant (unsaved) to `target` if the table allows it, else refuse with a message
    naming both states; the state it had."""
    if not allowed(variant.state, target):
        raise ValidationError(
            _("A variant that is “%(state)s” cannot become “%(target)s”.")
            % {
                "state": variant.get_state_display(),
                "target": S(target).label,
            }
        )
    before = variant.state
    variant.state = target
    return before
