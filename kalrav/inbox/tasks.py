from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from kalrav.channels.models import Channel, ChannelState
from kalrav.inbox import services


@db_task(retries=3, retry_delay=20)
def send_reply(message_id: int, automatic: bool = False) -> None:
    services.send_reply(message_id, automatic=automatic)


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


@db_task(retries=3, retry_delay=60)
def send_handoff(conversation_id: int, email: str) -> None:
    """Hand a conversation to a department by email, with the link back to it in Kalrav."""
    from django.core.mail import send_mail
    from django.template.loader import render_to_string
    from django.utils import translation

    from kalrav.inbox.models import Conversation
    from kalrav.inbox.routing import handoff_link

    conversation = Conversation.objects.select_related("workspace", "channel").get(
        pk=conversation_id
    )
    with translation.override(conversation.workspace.language):
        context = {
            "conversation": conversation,
            "messages": conversation.messages.all(),
            "link": handoff_link(conversation),
        }
        subject = render_to_string("inbox/email/handoff_subject.txt", context).strip()
        body = render_to_string("inbox/email/handoff.txt", context)
    send_mail(subject, body, None, [email])
