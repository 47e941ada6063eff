from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from kalrav.channels.models import Channel, ChannelState
from kalrav.inbox import services


@db_task(retries=3, retry_delay=20)
def send_reply(message_id: int) -> None:
    services.send_reply(message_id)


@db_task()
def poll_channel(channel_id: int) -> int:
    return services.poll_channel(channel_id)


@db_periodic_task(crontab(minute="*"))
def poll_all_channels() -> None:
    """The backstop behind streams and webhooks: every active channel, once a minute."""
    for channel_id in Channel.objects.filter(
        state__in=[ChannelState.ACTIVE, ChannelState.RATE_LIMITED]
    ).values_list("pk", flat=True):
        poll_channel(channel_id)


@db_task(retries=3, retry_delay=10)
def ingest_delivered(channel_id: int, items: list) -> int:
    from kalrav.inbox.ingest import ingest

    channel = Channel.objects.filter(pk=channel_id).first()
    return len(ingest(channel, items, via="webhook")) if channel else 0
