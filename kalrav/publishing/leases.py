"""The publisher's side of a variant's life: claiming due variants with a lease and recording how
each attempt ended. The worker that calls the connectors comes later; these functions are the
only way it may change a variant, so the state table and the audit log stay whole.

A claim is one conditional UPDATE: among due variants (scheduled and due, or publishing with an
expired lease) only rows still matching the condition when the UPDATE runs are taken, so two
workers never hold the same variant at once.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from kalrav.channels.models import ChannelState
from kalrav.connectors.base import PublishedRef
from kalrav.publishing.models import Attempt, Variant, VariantState
from kalrav.workspaces import audit

DEFAULT_LEASE = timedelta(minutes=5)


def _due(now: datetime) -> Q:
    return Q(state=VariantState.SCHEDULED, scheduled_at__lte=now) | Q(
        state=VariantState.PUBLISHING, lease_expires_at__lt=now
    )


def _publishable() -> Q:
    # A paused channel keeps its variants scheduled: they go out once it is resumed.
    return ~Q(channel__state=ChannelState.PAUSED)


def claim_due_variants(
    worker: str, *, now: datetime | None = None, lease: timedelta = DEFAULT_LEASE, limit: int = 50
) -> list[Variant]:
    """Take up to `limit` due variants for `worker` until the lease expires."""
    now = now or timezone.now()
    token = f"{worker}:{uuid.uuid4().hex[:12]}"
    candidates = list(
        Variant.objects.filter(_due(now), _publishable())
        .order_by("scheduled_at")
        .values_list("pk", flat=True)[:limit]
    )
    if not candidates:
        return []
    Variant.objects.filter(_due(now), pk__in=candidates).update(
        state=VariantState.PUBLISHING, claimed_by=token, lease_expires_at=now + lease
    )
    return list(Variant.objects.filter(claimed_by=token).select_related("channel", "post"))


def claim_variant(
    variant_id: int, worker: str, *, now: datetime | None = None, lease: timedelta = DEFAULT_LEASE
) -> Variant | None:
    """Take one variant if it is due (or its holder's lease expired); None if it is not, or if
    another worker got it first. The same conditional UPDATE as a batch claim."""
    now = now or timezone.now()
    token = f"{worker}:{uuid.uuid4().hex[:12]}"
    due = Variant.objects.filter(_due(now), _publishable(), pk=variant_id).values_list("pk")
    if not due.exists():
        # Most asks for a variant already published or taken end here, with a read: on SQLite
        # even an UPDATE that matches nothing takes the write lock every worker waits for.
        return None
    # The subquery keeps the paused-channel join out of the UPDATE itself, which SQLite cannot
    # join; the condition on state and lease is repeated on the row being updated.
    taken = Variant.objects.filter(_due(now), pk__in=due).update(
        state=VariantState.PUBLISHING, claimed_by=token, lease_expires_at=now + lease
    )
    if not taken:
        return None
    return Variant.objects.select_related("channel", "post", "post__workspace").get(pk=variant_id)


def release(variant: Variant, retry_at: datetime) -> bool:
    """Give a claimed variant back unattempted, due again at `retry_at` (a paused or rate-limited
    channel); no Attempt is written because nothing was sent."""
    return bool(
        Variant.objects.filter(
            pk=variant.pk, state=VariantState.PUBLISHING, claimed_by=variant.claimed_by
        ).update(
            state=VariantState.SCHEDULED,
            scheduled_at=retry_at,
            claimed_by="",
            lease_expires_at=None,
        )
    )


@transaction.atomic
def start_attempt(variant: Variant) -> Attempt:
    return Attempt.objects.create(variant=variant, worker=variant.claimed_by)


@transaction.atomic
def record_published(variant: Variant, attempt: Attempt, ref: PublishedRef) -> bool:
    """Mark the variant published, if this worker still holds it; False if the lease was lost."""
    now = timezone.now()
    updated = Variant.objects.filter(
        pk=variant.pk, state=VariantState.PUBLISHING, claimed_by=variant.claimed_by
    ).update(
        state=VariantState.PUBLISHED,
        remote_id=ref.remote_id,
        remote_url=ref.url,
        published_at=ref.published_at or now,
        lease_expires_at=None,
        last_error="",
    )
    Attempt.objects.filter(pk=attempt.pk).update(finished_at=now, outcome=Attempt.Outcome.PUBLISHED)
    if updated:
        audit.record(
            variant.post.workspace,
            audit.SYSTEM,
            "variant.published",
            variant,
            {"remote_url": [None, ref.url]},
        )
    return bool(updated)


@transaction.atomic
def record_failure(
    variant: Variant,
    attempt: Attempt,
    *,
    outcome: str,
    error_type: str,
    error_text: str,
    retry_at: datetime | None = None,
) -> bool:
    """End an attempt that did not publish: back to `scheduled` at `retry_at`, or `failed`.
    False if this worker no longer held the variant (its lease expired and another took it)."""
    now = timezone.now()
    Attempt.objects.filter(pk=attempt.pk).update(
        finished_at=now, outcome=outcome, error_type=error_type, error_text=error_text
    )
    fields: dict[str, object] = {
        "lease_expires_at": None,
        "last_error": error_text,
        "claimed_by": "",
    }
    if retry_at is not None:
        fields.update(state=VariantState.SCHEDULED, scheduled_at=retry_at)
    else:
        fields.update(state=VariantState.FAILED)
    updated = Variant.objects.filter(
        pk=variant.pk, state=VariantState.PUBLISHING, claimed_by=variant.claimed_by
    ).update(**fields)
    if updated and retry_at is None:
        audit.record(
            variant.post.workspace,
            audit.SYSTEM,
            "variant.failed",
            variant,
            {"error": [None, error_text[:500]]},
        )
    return bool(updated)
