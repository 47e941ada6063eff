"""Sending a reply or a moderation action exactly once, on the publisher's model
(kalrav.publishing.delivery.publisher):

1. The claim: one conditional UPDATE sets `Message.claimed_until`, so one worker at a time sends
   a message's reply or action; a worker that dies leaves the claim to run out, and a later try
   (a retry, or `resume_stalled`) takes over.
2. Every try writes a SendAttempt *before* the network is called (committed: the tasks run in
   autocommit), so a try whose worker died stays visible as `running`: its outcome is unknown.
3. A try after an unknown outcome (a dead worker, a Transient error, an error of Kalrav's own
   after the network answered) first makes a resend safe, in the replies' and the actions' own
   ways (replies.py, moderation.py); what cannot be made safe fails visibly.
"""

from __future__ import annotations

import os
import socket
import threading
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kalrav.inbox.models import Message, SendAttempt

Outcome = SendAttempt.Outcome
# Longer than any one network call with its timeouts: a live worker never loses its claim.
LEASE = timedelta(minutes=2)
MAX_TRIES = 4
RETRY_DELAYS = (20, 60, 180)  # seconds before the 2nd, 3rd and 4th try
UNSETTLED = frozenset({Outcome.RUNNING, Outcome.UNKNOWN, Outcome.TRANSIENT})


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 100000}"


def claim(message_id: int, pending: Q) -> bool:
    """Take the right to send for LEASE, if the message still waits (`pending`) and no live
    claim holds it. One UPDATE decides, so of two workers only one gets True."""
    now = timezone.now()
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    return bool(
        Message.objects.filter(pending, free, pk=message_id).update(claimed_until=now + LEASE)
    )


def release(message_id: int) -> None:
    Message.objects.filter(pk=message_id).update(claimed_until=None)


def mark_dead_attempts(message_id: int, action: str) -> None:
    """Attempts still `running` when their message is claimed again belong to a worker that
    stopped before it recorded the answer: their outcome is unknown."""
    SendAttempt.objects.filter(
        message_id=message_id, action=action, outcome=Outcome.RUNNING
    ).update(
        outcome=Outcome.UNKNOWN,
        finished_at=timezone.now(),
        error_type="WorkerStopped",
        error_text=_("The worker stopped before the network answered."),
    )


def history(message_id: int, action: str, key: str) -> list[SendAttempt]:
    """The tries of one request (a like asked for again later is another request)."""
    return list(SendAttempt.objects.filter(message_id=message_id, action=action, key=key))


def unsettled(attempts: list[SendAttempt]) -> bool:
    """Whether the network may hold what was sent though Kalrav does not know it."""
    return bool(attempts) and attempts[-1].outcome in UNSETTLED


def first_try(attempts: list[SendAttempt]) -> datetime | None:
    return attempts[0].started_at if attempts else None


def start(message_id: int, action: str, key: str) -> SendAttempt:
    return SendAttempt.objects.create(
        message_id=message_id, action=action, key=key, worker=worker_name()
    )


def finish(attempt: SendAttempt, outcome: str, error: BaseException | None = None) -> None:
    SendAttempt.objects.filter(pk=attempt.pk).update(
        outcome=outcome,
        finished_at=timezone.now(),
        error_type=type(error).__name__ if error is not None else "",
        error_text=(str(error) or type(error).__name__)[:2000] if error is not None else "",
    )


def retry_delay(tries: int) -> int | None:
    """Seconds before the next try after `tries` tries, or None once they are spent."""
    if tries >= MAX_TRIES:
        return None
    return RETRY_DELAYS[min(tries, len(RETRY_DELAYS)) - 1]
