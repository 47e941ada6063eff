"""What listening's pages call: monitors saved with a checked query, the preview, quality
sentiment for what people open, and sending a mention to the inbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from huey.contrib.djhuey import db_task

from kalrav.channels.models import Channel
from kalrav.connectors.base import Author, IncomingItem, ItemKind
from kalrav.inbox.intake.ingest import ingest
from kalrav.inbox.models import Conversation, Message
from kalrav.listening.intake.take import post_of
from kalrav.listening.models import Mention, MentionMatch, Monitor
from kalrav.listening.query import Matcher, QuerySyntaxError, parse
from kalrav.nlp.services import classify_batch
from kalrav.workspaces.models import Workspace

PREVIEW_DAYS = 7
PREVIEW_SHOWN = 20
# The preview reads at most this many recent mentions, so it answers while someone types.
PREVIEW_SCANNED = 20_000


@dataclass(frozen=True)
class Preview:
    count: int
    shown: list[Mention]
    scanned: int
    capped: bool


def preview(workspace: Workspace, query: str) -> Preview:
    """The mentions of the last days the query matches; QuerySyntaxError when it cannot parse."""
    matcher = Matcher({0: parse(query)})
    since = timezone.now() - timedelta(days=PREVIEW_DAYS)
    rows = (
        Mention.objects.filter(workspace=workspace, published_at__gte=since, is_hidden=False)
        .order_by("-published_at", "-pk")
        .only("pk", "title", "text", "language", "author_handle", "url", "published_at")
    )
    count = scanned = 0
    shown_ids: list[int] = []
    for mention in rows[:PREVIEW_SCANNED].iterator(chunk_size=2000):
        scanned += 1
        if matcher.match(post_of(mention)):
            count += 1
            if len(shown_ids) < PREVIEW_SHOWN:
                shown_ids.append(mention.pk)
    shown = sorted(
        Mention.objects.filter(pk__in=shown_ids),
        key=lambda m: shown_ids.index(m.pk),
    )
    return Preview(count, shown, scanned, scanned >= PREVIEW_SCANNED)


BACKFILL_DAYS = 30


def backfill(monitor_id: int) -> int:
    """Match a new or changed monitor against the mentions of the last days, so its page and
    dashboards are not empty until new mentions arrive; returns how many match. Matches in
    the window that the query no longer finds are removed; older ones are left as history."""
    monitor = Monitor.objects.filter(pk=monitor_id, is_active=True).first()
    if monitor is None:
        return 0
    try:
        matcher = Matcher({monitor.pk: parse(monitor.query)})
    except QuerySyntaxError:
        return 0
    since = timezone.now() - timedelta(days=BACKFILL_DAYS)
    rows = Mention.objects.filter(workspace_id=monitor.workspace_id, published_at__gte=since).only(
        "pk", "title", "text", "language", "author_handle", "url", "published_at", "sentiment",
        "quality_sentiment",
    )  # fmt: skip
    found = [
        MentionMatch(
            monitor=monitor,
            mention=mention,
            published_at=mention.published_at,
            language=mention.language,
            sentiment=mention.shown_sentiment,
        )
        for mention in rows.iterator(chunk_size=2000)
        if matcher.match(post_of(mention))
    ]
    with transaction.atomic():
        MentionMatch.objects.filter(monitor=monitor, published_at__gte=since).exclude(
            mention_id__in=[match.mention_id for match in found]
        ).delete()
        MentionMatch.objects.bulk_create(found, ignore_conflicts=True, batch_size=1000)
    return len(found)


@db_task()
def backfill_task(monitor_id: int) -> int:
    return backfill(monitor_id)


def check_query(query: str) -> None:
    """ValidationError with the parser's message and the position marked."""
    try:
        parse(query)
    except QuerySyntaxError as error:
        raise ValidationError(str(error)) from None


def refine_sentiment(mention_ids: list[int]) -> int:
    """The quality model's reading of mentions someone opened; returns how many were read."""
    mentions = list(Mention.objects.filter(pk__in=mention_ids, quality_sentiment=""))
    if not mentions:
        return 0
    readings = classify_batch([post_of(m).text for m in mentions], quality=True)
    for mention, found in zip(mentions, readings, strict=True):
        Mention.objects.filter(pk=mention.pk).update(quality_sentiment=found.sentiment)
        # Dashboards count the best reading there is.
        MentionMatch.objects.filter(mention_id=mention.pk).update(sentiment=found.sentiment)
    return len(mentions)


@db_task(retries=2, retry_delay=5)
def refine_sentiment_task(mention_ids: list[int]) -> int:
    return refine_sentiment(mention_ids)


def opened(mentions: list[Mention]) -> None:
    """Someone looked at these: mark them read and ask for the quality reading."""
    ids = [m.pk for m in mentions]
    if not ids:
        return
    Mention.objects.filter(pk__in=ids, is_read=False).update(is_read=True)
    unread = [m.pk for m in mentions if not m.quality_sentiment]
    if unread:
        transaction.on_commit(lambda: refine_sentiment_task(unread))


class NoChannel(Exception):
    """The workspace has no channel to hold the conversation."""


def _channel_for(mention: Mention) -> tuple[Channel, bool]:
    """The channel that holds the mention's conversation, and whether a reply can go through
    it: only when the mention is the network's own post on that channel's network."""
    if mention.source_id and mention.source and mention.source.channel_id:
        channel: Channel = mention.source.channel  # type: ignore[assignment]
    else:
        channels = Channel.objects.filter(workspace_id=mention.workspace_id).order_by("pk")
        found = channels.filter(network=mention.network).first() or channels.first()
        if found is None:
            raise NoChannel(_("Connect a channel first: inbox conversations belong to a channel."))
        channel = found
    return channel, bool(mention.remote_id) and mention.network == channel.network


def sent_on_source() -> str:
    """What the pages say once a mention answered on its source site is in the inbox."""
    return _(
        "Sent to the inbox, where it can be assigned and followed. It was found on a site Kalrav "
        "does not post to: answer it there, then mark it answered in the inbox."
    )


def answered_on_source(mention: Mention) -> bool:
    """Whether the mention, once in the inbox, is answered on its source site rather than
    through a channel (also when there is no channel yet)."""
    try:
        return not _channel_for(mention)[1]
    except NoChannel:
        return True


@transaction.atomic
def send_to_inbox(mention: Mention) -> Conversation:
    """An inbox conversation for the mention, made by the inbox's own intake (so routing rules,
    response targets and its sentiment apply); the same mention sent twice stays one
    conversation. A mention from the web (or from a network with no channel here) is only held
    by a channel: its conversation is answered on the source site, never through the channel
    (Conversation.answer_on_source)."""
    if mention.conversation_id:
        found = Conversation.objects.filter(pk=mention.conversation_id).first()
        if found is not None:
            return found
    channel, answerable = _channel_for(mention)
    # Mentions found on the web have no id on the channel's network: the mention's key stands
    # in, so sending it again finds the same message.
    remote_id = mention.remote_id if answerable else f"listening:{mention.url_key[:40]}"
    handle = mention.author_handle or mention.author_name
    item = IncomingItem(
        kind=ItemKind.MENTION,
        remote_id=remote_id,
        author=Author(
            remote_id=handle or mention.url,
            handle=mention.author_handle,
            display_name=mention.author_name,
            url=mention.author_url,
        ),
        text=(mention.title + "\n\n" + mention.text).strip() if mention.title else mention.text,
        created_at=mention.published_at,
        url=mention.url,
        language=mention.language,
    )
    ingest(channel, [item], via="listening", answer_on_source=not answerable)
    message = (
        Message.objects.filter(channel=channel, remote_id=remote_id)
        .select_related("conversation")
        .first()
    )
    if message is None:  # pragma: no cover - ingest stores or finds it
        raise NoChannel(_("The inbox did not accept the mention."))
    conversation = message.conversation
    if not answerable and not conversation.answer_on_source:
        # Sent before conversations knew where they are answered.
        Conversation.objects.filter(pk=conversation.pk).update(answer_on_source=True)
        conversation.answer_on_source = True
    Mention.objects.filter(pk=mention.pk).update(conversation=conversation, is_read=True)
    mention.conversation = conversation
    return conversation
