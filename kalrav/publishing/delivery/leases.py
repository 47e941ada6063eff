"""The publisher's side of a variant's life: claiming due variants with a lease and recording how
each attempt ended. The publisher and its dispatcher change a variant only through these
functions, so the state table and the audit log stay whole.

A claim is one conditional UPDATE: among due variants (scheduled and due, or publishing with an
expired lease) only rows still matching the condition when the UPDATE runs are taken, so two
workers never hold the same variant at once. A batch claim takes many variants with that one
UPDATE; every later write is conditional on the claim token, so a worker whose lease ran out
records nothing over the worker that took its variants over.

Leases are short and renewed while their holder works (`renew`, from each dispatcher tick), so
expiry is how a dead holder is detected; a variant whose lease went unrenewed shows on its page
when another worker will take it over (`stalled_until`).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models, transaction
from django.db.models import Case, Prefetch, Q, Value, When
from django.utils import timezone

from kalrav.channels.models import ChannelState
from kalrav.connectors.base import PublishedRef
from kalrav.publishing.models import Attempt, Variant, VariantMedia, VariantState
from kalrav.publishing.signals import variant_published
from kalrav.workspaces import audit
from kalrav.workspaces.models import AuditEntry

logger = logging.getLogger(__name__)

# Short, so that a dead worker's variants are taken over soon: a live holder renews its leases
# every HEARTBEAT of the lease (the dispatcher's tick, `renew`), so a lease runs out only when its
# holder stopped. KALRAV_PUBLISH_LEASE_SECONDS sets it (publisher.lease_length).
DEFAULT_LEASE = timedelta(seconds=45)
HEARTBEAT = 1 / 3


def lease_length() -> timedelta:
    """KALRAV_PUBLISH_LEASE_SECONDS (settings.PUBLISH_LEASE_SECONDS); tests of worker deaths set
    it shorter still."""
    seconds = getattr(settings, "PUBLISH_LEASE_SECONDS", None)
    return timedelta(seconds=seconds) if seconds else DEFAULT_LEASE


# A batch claim that loses rows to another worker's UPDATE (both read the same candidates) looks
# again at once rather than waiting for the next tick.
CLAIM_ROUNDS = 3


def _due(now: datetime, due_by: datetime | None = None) -> Q:
    return Q(state=VariantState.SCHEDULED, scheduled_at__lte=due_by or now) | Q(
        state=VariantState.PUBLISHING, lease_expires_at__lt=now
    )


def _publishable() -> Q:
    # A paused channel keeps its variants scheduled: they go out once it is resumed.
    return ~Q(channel__state=ChannelState.PAUSED)


def _with_relations(rows):
    # What the publisher reads of each claimed variant, in four queries for the whole batch.
    return rows.select_related("channel", "post", "post__workspace").prefetch_related(
        Prefetch(
            "media_links",
            queryset=VariantMedia.objects.select_related("asset").order_by("position"),
        )
    )


def claim_due_variants(
    worker: str,
    *,
    now: datetime | None = None,
    lease: timedelta = DEFAULT_LEASE,
    limit: int = 50,
    due_by: datetime | None = None,
) -> list[Variant]:
    """Take up to `limit` due variants for `worker` until the lease expires, oldest first, with
    one conditional UPDATE (repeated only for rows another worker took in between). `due_by`
    narrows "due" to what was scheduled by then (the sweep's cut-off)."""
    now = now or timezone.now()
    token = f"{worker}:{uuid.uuid4().hex[:12]}"
    taken: list[int] = []
    for _round in range(CLAIM_ROUNDS):
        candidates = list(
            Variant.objects.filter(_due(now, due_by), _publishable())
            .exclude(pk__in=taken)
            .order_by("scheduled_at")
            .values_list("pk", flat=True)[: limit - len(taken)]
        )
        if not candidates:
            break
        # The candidates' paused-channel join stays out of the UPDATE, which SQLite cannot join;
        # the condition on state and lease is repeated on the rows being updated.
        won = Variant.objects.filter(_due(now, due_by), pk__in=candidates).update(
            state=VariantState.PUBLISHING, claimed_by=token, lease_expires_at=now + lease
        )
        taken.extend(candidates)
        if won == len(candidates) or len(taken) >= limit:
            break
    if not taken:
        return []
    return list(_with_relations(Variant.objects.filter(pk__in=taken, claimed_by=token)))


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
    taken = Variant.objects.filter(_due(now), pk__in=due).update(
        state=VariantState.PUBLISHING, claimed_by=token, lease_expires_at=now + lease
    )
    if not taken:
        return None
    return _with_relations(Variant.objects.filter(pk=variant_id)).get()


def renew(claims: Mapping[str, Collection[int]], lease: timedelta) -> set[str]:
    """The heartbeat: extend the leases of the variants each claim token still holds, one UPDATE
    per claim. Returns the tokens whose variants were all still held (their leases now run
    `lease` from now); a claim that lost any variant to another worker is left as it was."""
    now = timezone.now()
    renewed: set[str] = set()
    for token, variant_ids in claims.items():
        if not variant_ids:
            continue
        count = Variant.objects.filter(
            pk__in=list(variant_ids), state=VariantState.PUBLISHING, claimed_by=token
        ).update(lease_expires_at=now + lease)
        if count == len(variant_ids):
            renewed.add(token)
    return renewed


def stalled_until(
    variant: Variant, lease: timedelta, now: datetime | None = None
) -> datetime | None:
    """For a variant being published whose holder stopped renewing its lease (missed a
    heartbeat, or let it run out): when another worker takes it over. None while the holder
    is alive or the variant is not being published."""
    if variant.state != VariantState.PUBLISHING or variant.lease_expires_at is None:
        return None
    now = now or timezone.now()
    if variant.lease_expires_at - now >= lease * HEARTBEAT:
        return None
    return max(variant.lease_expires_at, now)


def _held(variant: Variant) -> Q:
    return Q(pk=variant.pk, state=VariantState.PUBLISHING, claimed_by=variant.claimed_by)


def release(variant: Variant, retry_at: datetime) -> bool:
    """Give a claimed variant back unattempted, due again at `retry_at` (a paused or rate-limited
    channel); no Attempt is written because nothing was sent."""
    return release_many([variant], retry_at) == 1


def release_many(variants: Sequence[Variant], retry_at: datetime) -> int:
    """`release` for variants claimed together (one token), in one UPDATE; how many were still
    held."""
    if not variants:
        return 0
    tokens = {variant.claimed_by for variant in variants}
    return Variant.objects.filter(
        pk__in=[variant.pk for variant in variants],
        state=VariantState.PUBLISHING,
        claimed_by__in=tokens,
    ).update(
        state=VariantState.SCHEDULED,
        scheduled_at=retry_at,
        claimed_by="",
        lease_expires_at=None,
    )


@transaction.atomic
def start_attempt(variant: Variant) -> Attempt:
    return Attempt.objects.create(variant=variant, worker=variant.claimed_by)


@transaction.atomic
def start_attempts(variants: Sequence[Variant]) -> dict[int, Attempt]:
    """One running Attempt per variant, written together and committed before any is sent."""
    now = timezone.now()
    made = Attempt.objects.bulk_create(
        Attempt(variant=variant, worker=variant.claimed_by, started_at=now) for variant in variants
    )
    return {attempt.variant_id: attempt for attempt in made}


@transaction.atomic
def withdraw_attempt(variant: Variant, attempt: Attempt, retry_at: datetime) -> bool:
    """An attempt written but never sent (the lease was too near its end, or the channel became
    rate limited, or the worker is stopping): the variant is given back and the attempt erased,
    as nothing left Kalrav. Should the lease be lost already, the attempt stays for the new
    holder to treat as unknown: that costs a reconciliation, never a second post."""
    if not release(variant, retry_at):
        return False
    Attempt.objects.filter(pk=attempt.pk, outcome=Attempt.Outcome.RUNNING).delete()
    return True


def _announce(variants: Iterable[Variant]) -> None:
    """Tell the listeners once the publication is committed; one listener's error neither stops
    the others nor undoes what the network already shows."""
    for variant in variants:
        for receiver, answer in variant_published.send_robust(sender=Variant, variant=variant):
            if isinstance(answer, Exception):
                logger.error(
                    "variant_published listener %r failed for variant %s",
                    receiver,
                    variant.pk,
                    exc_info=answer,
                )


@transaction.atomic
def record_published(variant: Variant, attempt: Attempt, ref: PublishedRef) -> bool:
    """Mark the variant published, if this worker still holds it; False if the lease was lost."""
    return bool(record_published_many([(variant, attempt, ref)]))


@transaction.atomic
def record_published_many(
    results: Sequence[tuple[Variant, Attempt, PublishedRef]],
) -> list[Variant]:
    """What a batch's network calls published, in one transaction of four statements, however
    many there are: each variant still held moves to published with its audit entry; the
    variants whose lease was lost are left to their new holder (their attempt still says the
    network took them, which makes the new holder reconcile instead of sending blind). The
    variants recorded are returned and announced with `variant_published` after commit."""
    if not results:
        return []
    now = timezone.now()
    # Locked until the commit (SQLite's write lock is already held), so no worker takes one of
    # these over between this read and the UPDATE.
    still_held = set(
        Variant.objects.select_for_update()
        .filter(
            pk__in=[variant.pk for variant, _a, _r in results],
            state=VariantState.PUBLISHING,
            claimed_by__in={variant.claimed_by for variant, _a, _r in results},
        )
        .values_list("pk", "claimed_by")
    )
    recorded = [
        (variant, ref)
        for variant, _a, ref in results
        if (variant.pk, variant.claimed_by) in still_held
    ]
    if recorded:

        def each(values: dict[int, object], field: models.Field) -> Case:
            return Case(
                *(
                    When(pk=pk, then=Value(value, output_field=field))
                    for pk, value in values.items()
                ),
                output_field=field,
            )

        meta = Variant._meta
        Variant.objects.filter(pk__in=[variant.pk for variant, _r in recorded]).update(
            state=VariantState.PUBLISHED,
            remote_id=each(
                {v.pk: ref.remote_id for v, ref in recorded}, meta.get_field("remote_id")
            ),
            remote_url=each({v.pk: ref.url for v, ref in recorded}, meta.get_field("remote_url")),
            remote_extra=each(
                {v.pk: dict(ref.extra) for v, ref in recorded}, meta.get_field("remote_extra")
            ),
            published_at=each(
                {v.pk: ref.published_at or now for v, ref in recorded},
                meta.get_field("published_at"),
            ),
            lease_expires_at=None,
            last_error="",
        )
        for variant, ref in recorded:
            variant.state, variant.remote_id, variant.remote_url = (
                VariantState.PUBLISHED,
                ref.remote_id,
                ref.url,
            )
            variant.published_at = ref.published_at or now
            variant.lease_expires_at, variant.last_error = None, ""
    Attempt.objects.filter(pk__in=[attempt.pk for _v, attempt, _r in results]).update(
        finished_at=now, outcome=Attempt.Outcome.PUBLISHED
    )
    AuditEntry.objects.bulk_create(
        audit_entry(variant, "variant.published", {"remote_url": [None, ref.url]})
        for variant, ref in recorded
    )
    published = [variant for variant, _r in recorded]
    if published:
        transaction.on_commit(lambda: _announce(published))
    return published


def audit_entry(variant: Variant, action: str, changes: dict) -> AuditEntry:
    """The entry audit.record writes for the system, built for a bulk insert."""
    return audit.entry(variant.post.workspace_id, audit.SYSTEM, action, variant, changes)


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
    updated = Variant.objects.filter(_held(variant)).update(**fields)
    if updated and retry_at is None:
        audit.record(
            variant.post.workspace,
            audit.SYSTEM,
            "variant.failed",
            variant,
            {"error": [None, error_text[:500]]},
        )
    return bool(updated)
