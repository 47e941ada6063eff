"""The inbox's periodic work. Each queued task lives beside the function it runs; the imports
below register them with Huey's worker (djhuey reads every app's `tasks` module)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from kalrav.channels.models import Channel, ChannelState
from kalrav.inbox import planner
from kalrav.inbox.intake import pushes  # noqa: F401 - registers ingest_delivered
from kalrav.inbox.intake.polling import poll_channel_task
from kalrav.inbox.sla import breaches
from kalrav.inbox.teams import handoff  # noqa: F401 - registers send_handoff
from kalrav.inbox.work import mentions, moderation, replies  # noqa: F401 - register their tasks


@db_periodic_task(crontab(minute="*"))
def poll_all_channels() -> None:
    """The backstop behind streams and webhooks: every active channel, once a minute."""
    for channel_id in Channel.objects.filter(
        state__in=[ChannelState.ACTIVE, ChannelState.RATE_LIMITED]
    ).values_list("pk", flat=True):
        poll_channel_task(channel_id)


@db_periodic_task(crontab(minute="*"))
def check_breaches() -> int:
    """Missed response-time targets, recorded and told once (kalrav.inbox.sla.breaches)."""
    return breaches.check()


@db_periodic_task(crontab(minute="23"))
def refresh_planner_statistics() -> bool:
    """SQLite's planner statistics, hourly, as PostgreSQL's autovacuum does (kalrav.inbox.planner)."""
    return planner.refresh_statistics()
