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


@db_task(retries=3, retry_delay=60, context=True)
def send_handoff(
    conversation_id: int, email: str, handoff_id: int | None = None, task=None
) -> None:
    """Hand a conversation to a department by email, with the link back to it in Kalrav."""
    from kalrav.inbox import handoff

    try:
        _send_handoff(conversation_id, email)
    except Exception as error:
        if handoff_id is not None:
            final = task is None or not task.retries
            handoff.mark_email(handoff_id, sent=False, error=str(error), final=final)
        raise
    if handoff_id is not None:
        handoff.mark_email(handoff_id, sent=True)


def _send_handoff(conversation_id: int, email: str) -> None:
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


@db_task(retries=3, retry_delay=60)
def send_mention_emails(notification_ids: list[int]) -> int:
    from kalrav.inbox.mentions import send_emails

    return send_emails(notification_ids)


@db_periodic_task(crontab(minute="*"))
def check_breaches() -> int:
    """Missed response-time targets, recorded and told once (kalrav.inbox.breaches)."""
    from kalrav.inbox import breaches

    return breaches.check()


@db_task(retries=3, retry_delay=60)
def send_breach_emails(conversation_id: int, target: str, user_ids: list[int]) -> int:
    from kalrav.inbox import breaches

    return breaches.send_emails(conversation_id, target, user_ids)


@db_task(retries=2, retry_delay=30)
def moderate_message(message_id: int, action: str, key: str) -> None:
    """Like, hide or delete a message on its network (kalrav.inbox.moderation)."""
    from kalrav.inbox import moderation

    moderation.apply(message_id, action, key)


@db_periodic_task(crontab(minute="23"))
def refresh_planner_statistics() -> bool:
    """SQLite's planner statistics, hourly, as PostgreSQL's autovacuum does (kalrav.inbox.planner)."""
    from kalrav.inbox import planner

    return planner.refresh_statistics()
