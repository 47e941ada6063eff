"""The demo's sandbox channel: a channel on the sandbox network (a simulation inside Kalrav, see
kalrav/sandbox/) in the demo workspace, so publishing, replies, approvals and the best time to
post work in the first minutes, without an account on a real network.

The channel is connected and checked through the channel services, as a person would; its
account has three weeks of history on the sandbox (posts made before Kalrav was connected, with
their audience's replies), which reach the inbox by the normal poll. The demo conversations made
by inbox.py arrive on this channel too, so answering them sends through the sandbox. Each part
checks whether it exists, so running it again changes nothing."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, time, timedelta

from django.utils import timezone

from kalrav.channels import services as channels
from kalrav.channels.models import Channel, ChannelState
from kalrav.inbox.intake.polling import poll_channel
from kalrav.inbox.models import Conversation, ConversationState, InboxCursor, Message
from kalrav.sandbox.models import SandboxAccount, SandboxPost
from kalrav.sandbox.server import SandboxServer, account_key
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import Member, Workspace
from kalrav.workspaces.permissions import Role

NETWORK = "sandbox"
NAME = "Shanti Tea (sandbox)"
HANDLE = "shantitea"
HISTORY_KEY = "demo-history-"
# Posts the account made in the three weeks before the demo, at the hours the brand posts
# (local time): enough for its audience to give the best-time suggestion its 30 interactions.
HISTORY = (
    (20, "09:30", "Good morning! The first flush is here. #ShantiTea"),
    (18, "18:30", "সন্ধ্যার চা তৈরি। আপনি কোন ব্লেন্ড পছন্দ করেন? #ShantiTea"),
    (16, "09:30", "नई इलायची चाय अब सभी कैफ़े में। #ShantiTea"),
    (13, "18:30", "સાંજની ચા સાથે ગરમ નાસ્તો. #ShantiTea"),
    (11, "09:30", "Καλημέρα από την Αθήνα! Το Darjeeling μας σας περιμένει. #ShantiTea"),
    (8, "18:30", "Rainy evening, hot chai. Who is in? #ShantiTea"),
    (6, "09:30", "ভোরের চা, নতুন প্যাকেটে। #ShantiTea"),
    (4, "18:30", "शाम की चाय पर 10% छूट, सिर्फ़ आज। #ShantiTea"),
    (2, "09:30", "Tea school this Saturday: brewing the perfect cup. #ShantiTea"),
)
# History older than this arrives answered and resolved, as a team that keeps up would leave it.
SETTLED_AFTER = timedelta(days=1)


class _PastServer(SandboxServer):
    """The sandbox as it was at a moment in the past, to make the account's history."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


def channel(workspace: Workspace) -> Channel:
    """The workspace's sandbox channel, connected and checked now if it has none."""
    found = Channel.objects.filter(workspace=workspace, network=NETWORK).first()
    if found is not None:
        return found
    owner = Member.objects.select_related("user", "workspace").get(
        workspace=workspace, role=Role.OWNER, user__email__startswith="demo@"
    )
    made = channels.connect_channel(
        owner,
        Actor(user=owner.user, via="command"),
        network=NETWORK,
        name=NAME,
        values={"handle": HANDLE},
    )
    channels.check_channel(made.pk)  # at once, so the demo can use it before a worker runs
    made.refresh_from_db()
    return made


def adopt_old_inbox(workspace: Workspace, sandbox: Channel) -> None:
    """A demo made before the sandbox kept its conversations on a paused "Demo Bluesky" that
    cannot send; they move to the sandbox channel, where answering them works."""
    old = Channel.objects.filter(
        workspace=workspace, network="bluesky", name="Demo Bluesky", state=ChannelState.PAUSED
    ).first()
    if old is None or not Conversation.objects.filter(channel=old).exists():
        return
    Conversation.objects.filter(channel=old).update(channel=sandbox)
    Message.objects.filter(channel=old).update(channel=sandbox)
    InboxCursor.objects.filter(channel=old).delete()


def history(workspace: Workspace, sandbox: Channel) -> None:
    """The account's earlier posts on the sandbox, and their replies fetched into the inbox."""
    account = SandboxAccount.objects.filter(key=account_key(sandbox.pk)).first()
    if (
        account is None
        or SandboxPost.objects.filter(
            account=account, idempotency_key__startswith=HISTORY_KEY
        ).exists()
    ):
        return
    zone = zoneinfo.ZoneInfo(workspace.time_zone)
    today = timezone.now().astimezone(zone).date()
    moments = [
        datetime.combine(today - timedelta(days=days_ago), time.fromisoformat(at), tzinfo=zone)
        for days_ago, at, _text in HISTORY
    ]
    for number, (moment, (_days, _at, text)) in enumerate(zip(moments, HISTORY, strict=True)):
        _PastServer(moment).publish(account.key, text, idempotency_key=f"{HISTORY_KEY}{number}")
    first = min(moments)
    # The account was on the sandbox before its first post.
    SandboxAccount.objects.filter(pk=account.pk, created_at__gt=first).update(
        created_at=first - timedelta(days=1)
    )
    if not sandbox.can_work:
        return  # the check failed: the poller fetches the history once the channel works
    poll_channel(sandbox.pk)
    _settle(sandbox)


def _settle(sandbox: Channel) -> None:
    """Conversations arrive when their first message was written; those older than a day are
    resolved, so the inbox shows today's work and the reports show the weeks before."""
    now = timezone.now()
    for conversation in Conversation.objects.filter(channel=sandbox).exclude(
        root_remote_id__startswith="demo-"
    ):
        times = sorted(conversation.messages.values_list("created_at", flat=True))
        if not times:
            continue
        settled = times[-1] < now - SETTLED_AFTER
        Conversation.objects.filter(pk=conversation.pk).update(
            received_at=times[0],
            last_message_at=times[-1],
            state=ConversationState.RESOLVED if settled else conversation.state,
            unread=not settled,
        )
