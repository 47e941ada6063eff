"""Credentials that end on a known day (Meta's 60-day user token behind every Page token) are
shown ahead on the channel's page and emailed to whoever connected the channel, 7 days and 1 day
before, once each: a channel must not fall silent without warning. A new sign-in
(services.renew_oauth_channel) sets the new day and forgets the notices sent.

Each notice is recorded on the channel as "<days>:<expiry>" before its email is queued, so two
workers running the daily task at once cannot both send it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from kalrav.channels.models import Channel

NOTICE_DAYS = (7, 1)
SOON = timedelta(days=NOTICE_DAYS[0])


def expires_soon(channel: Channel, now: datetime | None = None) -> bool:
    ends = channel.credentials_expire_at
    return ends is not None and ends - (now or timezone.now()) <= SOON


def due_notices(now: datetime | None = None) -> list[tuple[int, int]]:
    """(channel id, days ahead) of every notice now due and not yet sent, each claimed."""
    now = now or timezone.now()
    due = []
    horizon = now + timedelta(days=max(NOTICE_DAYS))
    candidates = Channel.objects.filter(
        credentials_expire_at__isnull=False,
        credentials_expire_at__gt=now,
        credentials_expire_at__lte=horizon,
        created_by__isnull=False,
    ).values_list("pk", flat=True)
    for pk in candidates:
        with transaction.atomic():
            channel = Channel.objects.select_for_update().get(pk=pk)
            ends = channel.credentials_expire_at
            if ends is None:
                continue
            # The nearest threshold passed: a channel connected 3 days before its expiry gets the
            # 7-day notice now and the 1-day one later, never two at once.
            left = ends - now
            passed = [days for days in NOTICE_DAYS if left <= timedelta(days=days)]
            if not passed:
                continue
            days = min(passed)
            mark = f"{days}:{ends.isoformat()}"
            if mark in channel.expiry_notices:
                continue
            channel.expiry_notices = [*channel.expiry_notices, mark]
            channel.save(update_fields=["expiry_notices"])
            due.append((pk, days))
    return due


def send_notice(channel_id: int) -> bool:
    channel = (
        Channel.objects.select_related("workspace", "created_by").filter(pk=channel_id).first()
    )
    if channel is None or channel.created_by is None or not channel.credentials_expire_at:
        return False
    link = settings.BASE_URL + reverse(
        "channels:detail", kwargs={"ws": channel.workspace.slug, "channel_id": channel.pk}
    )
    with (
        translation.override(channel.workspace.language),
        timezone.override(channel.workspace.time_zone),
    ):
        context = {"channel": channel, "link": link, "ends": channel.credentials_expire_at}
        subject = render_to_string("channels/email/expiry_subject.txt", context).strip()
        body = render_to_string("channels/email/expiry.txt", context)
    send_mail(subject, body, None, [channel.created_by.email])
    return True


@db_task(retries=3, retry_delay=300)
def send_notice_task(channel_id: int) -> None:
    send_notice(channel_id)


@db_periodic_task(crontab(minute="17", hour="6"))
def warn_of_expiring_credentials() -> int:
    """Daily: queue every notice that is due; returns how many."""
    due = due_notices()
    for channel_id, _days in due:
        send_notice_task(channel_id)
    return len(due)
