"""The publisher: sends a claimed variant through its channel's connector with the variant's
idempotency key, and records how every try ended. The dispatcher (dispatcher.py) drives it for
batches of due variants; `publish_variant` is the same for one, run by `publish_variant_task`
where no dispatcher runs (see `enqueue_at`).

Never posting twice rests on three things:

1. The claim (leases.claim_due_variants, leases.claim_variant) is one conditional UPDATE with a
   lease, so one worker at a time holds a variant; a worker that dies leaves the lease to expire
   and another takes over.
2. Every try writes an Attempt *before* the network is called (committed), so a try whose
   worker died is visible afterwards as an attempt still `running`: its outcome is unknown.
3. Before any retry whose earlier outcome is unknown (a dead worker, a `Transient` error which
   may come after the network accepted the post, or a post the network took while the worker
   lost its lease before recording it), the variant is made safe to resend:

   - a network that dedupes on the key (an `IdempotentPublisher`) is simply sent the same key
     again, while it still remembers the key;
   - otherwise a `Reconciler` is asked whether the post is already on the channel; if it is,
     the variant is published with that reference, and if it surely is not, it is sent again;
   - any other network is not retried blind: the variant fails visibly, asking a person to look
     at the channel first. A duplicate post is worse than a late one.

What each network needs (see the connectors' own docstrings):

- Bluesky: idempotent. The record key is a TID derived from the idempotency key, and the connector
  looks the record up when a create fails, so a resend names the same record.
- Mastodon: idempotent for one hour. The server keeps an `Idempotency-Key` for 3600 s, so a
  retry after an unknown outcome is safe only within that window; past it, the variant fails
  visibly (the connector's `idempotency_key_window`).
- Matrix: idempotent for a day. Messages are sent with a transaction id derived from the key,
  which the homeserver dedupes per device (a repeated media upload leaves an unused file, no
  second message); Synapse forgets transaction ids after 24 hours.
- Telegram: not idempotent, and its `find_recent` can only match the channel posts Telegram
  echoed back to the bot, so "not found" proves nothing. It is no `Reconciler`: an unknown
  outcome fails visibly.
- X: not idempotent. Its connector is a `Reconciler`: after an unknown outcome it looks for the
  post among the account's posts since the first try (exact text, t.co links expanded, the
  same parent), and a thread found only in part fails visibly instead of being sent again.
- Instagram: not idempotent. Its connector keeps each container's id by the variant's key, so a
  retry publishes the container it made instead of a second one, and is a `Reconciler` that
  looks for the caption among the account's media since the first try. It is a `PublishQuota`
  too: `call_network` holds the publish back (RateLimited, an hour) while the quota is spent.
- Sandbox (the demo's simulated network): accepts repeats, like the weakest real network, and
  is a `Reconciler` that finds an earlier post by its key and text.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from huey.contrib.djhuey import HUEY, db_task

from kalrav.channels import services as channel_services
from kalrav.channels.models import ChannelState
from kalrav.connectors.base import (
    Connector,
    IdempotentPublisher,
    OutgoingPost,
    PublishedRef,
    Publisher,
    PublishQuota,
    Reconciler,
    opened,
)
from kalrav.connectors.errors import AuthExpired, ConnectorError, RateLimited, Rejected, Transient
from kalrav.nlp.services import language_of
from kalrav.publishing.composer import variant_check, variant_options
from kalrav.publishing.delivery import leases, notifications
from kalrav.publishing.media import renditions
from kalrav.publishing.models import Attempt, Variant, VariantState
from kalrav.publishing.workspace_settings import publishing_settings

logger = logging.getLogger(__name__)

# Tries per variant before it fails for good; a rate limit counts as a try too, so a channel
# that stays limited ends in a visible failure instead of a post that never goes out.
MAX_ATTEMPTS = 6
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(minutes=30)


Outcome = Attempt.Outcome


# Where the publisher's callers look for it; the lease is leases.py's.
lease_length = leases.lease_length


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
    """What the connector is given: the variant's own words, its thread, poll and first comment,
    and its media (by storage name), each in a rendition the network takes where one is needed."""
    extras = variant_options.outgoing_extras(variant.options)
    options = dict(extras.pop("options"))
    network = variant.channel.network
    rules = variant_check.rules_for(network)[0]
    if rules is not None:
        rules = rules.for_options(variant.options)
    media = tuple(
        renditions.item_for(asset, rules, network) if rules else asset.as_item()
        for asset in _media(variant)
    )
    language = str(options.pop("language", "") or "")
    if not language and rules is not None and rules.languages:
        language = language_of(variant.text)
    # A thread's parts are in the language of its first post.
    extras["thread"] = tuple(replace(part, language=language) for part in extras["thread"])
    return OutgoingPost(
        text=variant.text, media=media, language=language, options=options, **extras
    )


def _media(variant: Variant) -> list:
    prefetched = getattr(variant, "_prefetched_objects_cache", {})
    if "media_links" in prefetched:  # a batch claim read them for the whole batch
        return [link.asset for link in sorted(prefetched["media_links"], key=lambda m: m.position)]
    return variant.ordered_media()


def _key_still_known(
    connector: IdempotentPublisher, first_try: datetime | None, now: datetime
) -> bool:
    """How long the network remembers a key is the connector's `idempotency_key_window()`;
    None: for as long as the post exists."""
    window = connector.idempotency_key_window()
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


# Outcomes after which the network may hold the post though the variant does not say so.
UNSETTLED = frozenset({Outcome.UNKNOWN, Outcome.TRANSIENT})


def unsettled(outcomes: list[str]) -> bool:
    """Whether a variant whose attempts ended so (oldest first) must be reconciled before it is
    sent: an attempt still running (its worker died), a last outcome that left the network's
    side unknown, or a publication the network confirmed but whose worker lost the lease
    before recording it."""
    if Outcome.RUNNING in outcomes or Outcome.PUBLISHED in outcomes:
        return True
    return bool(outcomes) and outcomes[-1] in UNSETTLED


def _needs_reconcile(variant: Variant) -> bool:
    outcomes = list(
        Attempt.objects.filter(variant=variant)
        .order_by("started_at", "id")
        .values_list("outcome", flat=True)
    )
    return unsettled(outcomes)


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

    if not approved(variant):
        # The services never schedule an unapproved variant here; this guards the rule anyway.
        return fail_unapproved(variant)

    died = _mark_dead_attempts(variant, now)
    with opened(channel_services.connector_for(channel)) as connector:
        post = outgoing_post(variant)
        if died or _needs_reconcile(variant):
            settled = _reconcile(variant, connector, post, now)
            if settled is not None:
                return settled

        attempt = leases.start_attempt(variant)
        result = call_network(connector, post, variant)
        if isinstance(result, ConnectorError):
            return record_error(variant, attempt, result, connector)
    leases.record_published(variant, attempt, result)
    if channel.state != ChannelState.ACTIVE:
        channel_services.record_success(channel.pk)
    return VariantState.PUBLISHED


def approved(variant: Variant, setup: Any = None) -> bool:
    setup = setup or publishing_settings(variant.post.workspace_id)
    return not setup.require_approval or variant.approved_at is not None


def fail_unapproved(variant: Variant) -> str:
    attempt = leases.start_attempt(variant)
    return _fail(
        variant,
        attempt,
        Outcome.REJECTED,
        "NotApproved",
        _("This workspace requires approval and this variant is not approved."),
    )


def call_network(
    connector: Connector, post: OutgoingPost, variant: Variant
) -> PublishedRef | ConnectorError:
    """The one network call of a try; touches no database, so the dispatcher runs it on its
    threads. An error the connector did not classify (a bug, say) may come after the request
    went out, so it stands as a Transient one: reconciled before any retry."""
    if not isinstance(connector, Publisher):
        return Rejected(_("Kalrav cannot publish to this network yet."))
    try:
        spent = quota_spent(connector)
        if spent is not None:
            return spent
        return connector.publish(post, idempotency_key=variant.idempotency_key)
    except ConnectorError as error:
        return error
    except Exception as error:
        logger.exception("Connector %s failed on variant %s", variant.channel.network, variant.pk)
        return Transient(str(error) or type(error).__name__)


# A rolling 24-hour quota frees a post at a time: looking again in an hour is soon enough.
QUOTA_RETRY = timedelta(hours=1)


def quota_spent(connector: Connector) -> RateLimited | None:
    """The error that holds a publish back while the network's posting quota for the account
    is used up (a PublishQuota at 0); None when posts may go, or when the network would not
    say (the publish itself then meets the network's own refusal)."""
    if not isinstance(connector, PublishQuota):
        return None
    try:
        remaining = connector.remaining_posts()
    except ConnectorError:
        return None
    if remaining is None or remaining > 0:
        return None
    return RateLimited(
        _(
            "Held: %(network)s's limit of posts a day for this account is used up; "
            "trying again in an hour."
        )
        % {"network": connector.label},
        retry_after=QUOTA_RETRY.total_seconds(),
    )


def record_error(
    variant: Variant, attempt: Attempt, error: ConnectorError, connector: Connector | None
) -> str:
    """What a failed try leads to: a retry with backoff, or a visible failure. `connector` is
    None when none could be built: nothing then says a resend would be safe."""
    channel = variant.channel
    if isinstance(error, Rejected):
        return _fail(variant, attempt, Outcome.REJECTED, type(error).__name__, str(error))
    if isinstance(error, AuthExpired):
        channel_services.record_failure(channel.pk, error)
        return _fail(variant, attempt, Outcome.AUTH_EXPIRED, type(error).__name__, str(error))
    if isinstance(error, RateLimited):
        channel_services.record_failure(channel.pk, error)
        wait = timedelta(seconds=error.retry_after) if error.retry_after else None
        return _retry(variant, attempt, Outcome.RATE_LIMITED, error, wait, connector)
    wait = None
    if isinstance(error, Transient) and error.retry_after:
        wait = timedelta(seconds=error.retry_after)
    return _retry(variant, attempt, Outcome.TRANSIENT, error, wait, connector)


def _reconcile(
    variant: Variant, connector: Connector, post: OutgoingPost, now: datetime
) -> str | None:
    """Make a retry after an unknown outcome safe; a final state if it settled the variant,
    None if the caller may send again. Resending a key the network still knows is exact and
    costs nothing, so it comes before looking for the post."""
    first = _first_try(variant)
    if isinstance(connector, IdempotentPublisher) and _key_still_known(connector, first, now):
        return None
    if isinstance(connector, Reconciler):
        attempt = leases.start_attempt(variant)
        try:
            found = connector.reconcile(
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
    connector: Connector | None,
) -> str:
    """Schedule the next try, or fail once the tries are spent or a resend would not be safe."""
    text = str(error) or type(error).__name__
    if outcome == Outcome.TRANSIENT:
        safe = isinstance(connector, Reconciler | IdempotentPublisher)
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
    transaction.on_commit(lambda: enqueue_at(variant_id, when))


# --- asking for a variant to be published ------------------------------------------------------


def dispatching() -> bool:
    """Whether worker processes run dispatchers (and so need no task per variant): not when Huey
    runs tasks inline (the test settings) or `PUBLISH_DISPATCHER` is False."""
    return not HUEY.immediate and bool(getattr(settings, "PUBLISH_DISPATCHER", True))


@db_task(priority=10)
def publish_variant_task(variant_id: int) -> str | None:
    return publish_variant(variant_id)


def enqueue_at(variant_id: int, when: datetime | None) -> None:
    """Ask for the variant to be published at `when` (now, if it is past or None); with
    dispatchers running there is nothing to ask: they see it when it is due. A task only ever
    *asks*: the claim decides, so a variant asked for twice is still published once."""
    if dispatching():
        return
    if when is None or when <= timezone.now():
        publish_variant_task(variant_id)
    else:
        publish_variant_task.schedule(args=(variant_id,), eta=when)
