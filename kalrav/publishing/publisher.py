"""The publisher: takes one due variant, sends it through its channel's connector with the
variant's idempotency key, and records how every try ended.

Never posting twice rests on three things:

1. The claim (leases.claim_variant) is one conditional UPDATE with a lease, so one worker at a
   time holds a variant; a worker that dies leaves the lease to expire and another takes over.
2. Every try writes an Attempt *before* the network is called (committed), so a try whose
   worker died is visible afterwards as an attempt still `running`: its outcome is unknown.
3. Before any retry whose earlier outcome is unknown (a dead worker, or a `Transient` error
   which may come after the network accepted the post), the variant is made safe to resend:

   - a connector with a `reconcile(post, *, idempotency_key, not_before)` hook is asked whether
     the post is already on the channel; if it is, the variant is published with that reference;
   - a network that dedupes on the key is simply sent the same key again
     (IDEMPOTENT_NETWORKS below, or a connector class setting `idempotent_publish = True`);
   - any other network is not retried blind: the variant fails visibly, asking a person to look
     at the channel first. A duplicate post is worse than a late one.

What each network needs (see the connectors' own docstrings):

- Bluesky: idempotent. The record key is a TID derived from the idempotency key, and the connector
  looks the record up when a create fails, so a resend names the same record.
- Mastodon: idempotent for one hour. The server keeps an `Idempotency-Key` for 3600 s, so a
  retry after an unknown outcome is safe only within that window; past it, the variant fails
  visibly (MASTODON_KEY_WINDOW).
- Matrix: idempotent. Messages are sent with a transaction id derived from the key, which the
  homeserver dedupes per access token (a repeated media upload leaves an unused file, no
  second message).
- Telegram: not idempotent, and its `find_recent` can only match the channel posts Telegram
  echoed back to the bot, so "not found" proves nothing. It has no `reconcile` hook: an
  unknown outcome fails visibly.
- X: publishes nothing yet.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kalrav.channels import services as channel_services
from kalrav.channels.models import ChannelState
from kalrav.connectors.base import OutgoingPost, PublishedRef
from kalrav.connectors.errors import AuthExpired, ConnectorError, RateLimited, Rejected, Transient
from kalrav.publishing import leases, notifications
from kalrav.publishing.models import Attempt, Variant, VariantState
from kalrav.publishing.services import publishing_settings

logger = logging.getLogger(__name__)

# Tries per variant before it fails for good; a rate limit counts as a try too, so a channel
# that stays limited ends in a visible failure instead of a post that never goes out.
MAX_ATTEMPTS = 6
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(minutes=30)

IDEMPOTENT_NETWORKS = frozenset({"bluesky", "mastodon", "matrix"})
# How long a network remembers an idempotency key; None: for as long as the post exists.
KEY_WINDOWS: dict[str, timedelta] = {"mastodon": timedelta(hours=1)}
MASTODON_KEY_WINDOW = KEY_WINDOWS["mastodon"]

Outcome = Attempt.Outcome


def lease_length() -> timedelta:
    """Long enough for a slow network call; tests of worker deaths set it short."""
    seconds = getattr(settings, "PUBLISH_LEASE_SECONDS", None)
    return timedelta(seconds=seconds) if seconds else leases.DEFAULT_LEASE


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 100000}"


def backoff(attempt_number: int, rng: random.Random | None = None) -> timedelta:
    """Delay before try `attempt_number + 1`: exponential from BACKOFF_BASE, capped, with "equal
    jitter" (half fixed, half random) so variants that failed together do not retry together,
    yet each waits at least half its step."""
    step = min(BACKOFF_BASE * (2 ** max(attempt_number - 1, 0)), BACKOFF_MAX)
    half = step / 2
    return half + half * (rng or random).random()


def outgoing_post(variant: Variant) -> OutgoingPost:
    """What the connector is given: the variant's own words and media (media by storage name)."""
    options = dict(variant.options or {})
    return OutgoingPost(
        text=variant.text,
        media=tuple(asset.as_item() for asset in variant.ordered_media()),
        first_comment=str(options.pop("first_comment", "") or ""),
        language=str(options.pop("language", "") or ""),
        options=options,
    )


def idempotent(connector: Any, network: str) -> bool:
    return bool(getattr(connector, "idempotent_publish", network in IDEMPOTENT_NETWORKS))


def _key_still_known(network: str, first_try: datetime | None, now: datetime) -> bool:
    window = KEY_WINDOWS.get(network)
    return window is None or first_try is None or now - first_try < window


def _tries(variant: Variant) -> int:
    return Attempt.objects.filter(variant=variant).count()


def _mark_dead_attempts(variant: Variant, now: datetime) -> bool:
    """Attempts still `running` belong to a worker that lost the variant (it died, or its lease
    ran out): their outcome is unknown. True if there were any."""
    return bool(
        Attempt.objects.filter(variant=variant, outcome=Outcome.RUNNING).update(
            outcome=Outcome.UNKNOWN,
            finished_at=now,
            error_type="LeaseExpired",
            error_text=_("The worker stopped before the network answered."),
        )
    )


def _last_outcome_unknown(variant: Variant) -> bool:
    last = (
        Attempt.objects.filter(variant=variant)
        .exclude(outcome=Outcome.RUNNING)
        .order_by("-started_at", "-id")
        .values_list("outcome", flat=True)
        .first()
    )
    return last in (Outcome.UNKNOWN, Outcome.TRANSIENT)


def _first_try(variant: Variant) -> datetime | None:
    return (
        Attempt.objects.filter(variant=variant)
        .order_by("started_at")
        .values_list("started_at", flat=True)
        .first()
    )


def publish_variant(variant_id: int, *, worker: str | None = None) -> str | None:
    """Claim the variant and try once; the state it was left in, or None if it was not due or
    another worker holds it."""
    variant = leases.claim_variant(variant_id, worker or worker_name(), lease=lease_length())
    if variant is None:
        return None
    return publish_claimed(variant)


def publish_claimed(variant: Variant) -> str:
    now = timezone.now()
    channel = variant.channel
    if channel.state == ChannelState.PAUSED:
        # Paused after the claim's check: give it back to go out once the channel resumes.
        leases.release(variant, variant.scheduled_at or now)
        return VariantState.SCHEDULED
    if channel.rate_limited_until and channel.rate_limited_until > now:
        # The network told us when to come back; calling before then only spends a try.
        leases.release(variant, channel.rate_limited_until)
        _enqueue_retry(variant.pk, channel.rate_limited_until)
        return VariantState.SCHEDULED

    setup = publishing_settings(variant.post.workspace_id)
    if setup.require_approval and variant.approved_at is None:
        # The services never schedule an unapproved variant here; this guards the rule anyway.
        attempt = leases.start_attempt(variant)
        return _fail(
            variant,
            attempt,
            Outcome.REJECTED,
            "NotApproved",
            _("This workspace requires approval and this variant is not approved."),
        )

    died = _mark_dead_attempts(variant, now)
    connector = channel_services.connector_for(channel)
    post = outgoing_post(variant)
    if died or _last_outcome_unknown(variant):
        settled = _reconcile(variant, connector, post, now)
        if settled is not None:
            return settled

    attempt = leases.start_attempt(variant)
    try:
        ref = connector.publish(post, idempotency_key=variant.idempotency_key)
    except Rejected as error:
        return _fail(variant, attempt, Outcome.REJECTED, type(error).__name__, str(error))
    except AuthExpired as error:
        channel_services.record_failure(channel.pk, error)
        return _fail(variant, attempt, Outcome.AUTH_EXPIRED, type(error).__name__, str(error))
    except RateLimited as error:
        channel_services.record_failure(channel.pk, error)
        wait = timedelta(seconds=error.retry_after) if error.retry_after else None
        return _retry(variant, attempt, Outcome.RATE_LIMITED, error, wait, connector)
    except Transient as error:
        wait = timedelta(seconds=error.retry_after) if error.retry_after else None
        return _retry(variant, attempt, Outcome.TRANSIENT, error, wait, connector)
    except Exception as error:
        # A bug in a connector, or an error it did not classify: the request may have gone
        # out, so it is handled like a Transient one (reconciled before any retry).
        logger.exception("Connector %s failed on variant %s", channel.network, variant.pk)
        if not isinstance(error, ConnectorError):
            error = Transient(str(error) or type(error).__name__)
        return _retry(variant, attempt, Outcome.TRANSIENT, error, None, connector)
    leases.record_published(variant, attempt, ref)
    if channel.state != ChannelState.ACTIVE:
        channel_services.record_success(channel.pk)
    return VariantState.PUBLISHED


def _reconcile(variant: Variant, connector: Any, post: OutgoingPost, now: datetime) -> str | None:
    """Make a retry after an unknown outcome safe; a final state if it settled the variant,
    None if the caller may send again."""
    network = variant.channel.network
    first = _first_try(variant)
    hook = getattr(connector, "reconcile", None)
    if callable(hook):
        attempt = leases.start_attempt(variant)
        try:
            found: PublishedRef | None = hook(
                post, idempotency_key=variant.idempotency_key, not_before=first or now
            )
        except ConnectorError as error:
            # Could not look: try again later rather than send blind.
            return _retry(variant, attempt, Outcome.UNKNOWN, error, None, connector)
        if found is not None:
            leases.record_published(variant, attempt, found)
            return VariantState.PUBLISHED
        Attempt.objects.filter(pk=attempt.pk).update(
            finished_at=timezone.now(),
            outcome=Outcome.UNKNOWN,
            error_type="Reconciled",
            error_text=_("Not found on the channel; sending again."),
        )
        return None
    if idempotent(connector, network) and _key_still_known(network, first, now):
        return None
    attempt = leases.start_attempt(variant)
    return _fail(
        variant,
        attempt,
        Outcome.UNKNOWN,
        "OutcomeUnknown",
        _(
            "The network may have received this post, and Kalrav cannot check. Look at the "
            "channel before publishing it again."
        ),
    )


def _retry(
    variant: Variant,
    attempt: Attempt,
    outcome: str,
    error: ConnectorError,
    wait: timedelta | None,
    connector: Any,
) -> str:
    """Schedule the next try, or fail once the tries are spent or a resend would not be safe."""
    text = str(error) or type(error).__name__
    network = variant.channel.network
    if outcome == Outcome.TRANSIENT:
        safe = callable(getattr(connector, "reconcile", None)) or idempotent(connector, network)
        if not safe:
            # The request may have reached the network; without a way to check, stop here.
            return _fail(
                variant,
                attempt,
                Outcome.UNKNOWN,
                type(error).__name__,
                _(
                    "The network may have received this post, and Kalrav cannot check. Look at "
                    "the channel before publishing it again. The network said: %(error)s"
                )
                % {"error": text},
            )
    tries = _tries(variant)
    if tries >= MAX_ATTEMPTS:
        return _fail(variant, attempt, outcome, type(error).__name__, text)
    retry_at = timezone.now() + max(wait or timedelta(0), backoff(tries))
    leases.record_failure(
        variant,
        attempt,
        outcome=outcome,
        error_type=type(error).__name__,
        error_text=text,
        retry_at=retry_at,
    )
    _enqueue_retry(variant.pk, retry_at)
    return VariantState.SCHEDULED


def _fail(variant: Variant, attempt: Attempt, outcome: str, error_type: str, text: str) -> str:
    with transaction.atomic():
        # Only the worker that still held the lease fails it and tells people; a superseded one
        # stays quiet, since the variant is another worker's now.
        if leases.record_failure(
            variant, attempt, outcome=outcome, error_type=error_type, error_text=text
        ):
            notifications.notify_failure(variant, text)
    return VariantState.FAILED


def _enqueue_retry(variant_id: int, when: datetime) -> None:
    from kalrav.publishing.tasks import enqueue_at

    transaction.on_commit(lambda: enqueue_at(variant_id, when))
