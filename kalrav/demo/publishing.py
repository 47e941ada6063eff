"""A month of sample posts for the demo workspace, in the languages its customers speak, so the
calendar, the approvals and the composer have something true-looking to show: queue slots on the
demo channels, a post added to the queues, a weekly recurring post, and a variant with a thread and
a first comment. `seed.load()` calls `load_demo_posts()` after the demo's workspaces exist;
running it again adds nothing. Each part checks for itself, so an older demo gains the newer parts."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from kalrav.channels.models import Channel, ChannelState
from kalrav.publishing import approvals, posts, scheduling
from kalrav.publishing.models import Post, Variant
from kalrav.publishing.queues import recurrence
from kalrav.publishing.queues import services as queues
from kalrav.publishing.queues.models import QueueSlot, Recurrence
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import Member, Workspace
from kalrav.workspaces.permissions import Role

DEMO_SLUG = "shanti-tea"
DEMO_CHANNELS = (
    ("bluesky", "Demo Bluesky", "shantitea.demo.invalid"),
    ("mastodon", "Demo Mastodon", "@shantitea@demo.invalid"),
)

# Weekly queue slots per demo network, as a person would type them on the Queues page.
DEMO_QUEUES = {
    "bluesky": "Mon-Fri 09:30, 13:00",
    "mastodon": "Mon-Fri 10:00, 17:30; Sat 11:00",
}
RECURRING_TITLE = "ভোরের চা"  # the morning-tea post, tomorrow and every week after
THREAD_TITLE = "From the garden"  # a story told as a thread, with its link in the first comment
THREAD = [
    "She starts at 6, before the sun is on the slope: two leaves and a bud, nothing else.",
    "By noon her basket holds 8 kg. By evening it is in the withering trough at the factory.",
]
FIRST_COMMENT = "Rina's full story and photos: https://example.com/rina"
QUEUED = (
    "Weekend brunch",
    "Masala chai and fresh kachori all weekend at every café. Who is coming? #ShantiTea",
    "Cafés",
    ["offer"],
)

# (day offset from today, local time, language, title, text, campaign, tags, what happens to it)
SAMPLES = (
    (
        -3,
        "09:30",
        "en",
        "Tasting at Gariahat",
        "Free tasting of our first flush at Gariahat this week. Bring a friend! #ShantiTea",
        "Tastings",
        ["tasting"],
        "draft",
    ),
    (
        1,
        "08:00",
        "bn",
        "ভোরের চা",
        "ভোরের চা ছাড়া দিন শুরু হয় না। আমাদের 'Bhorer Cha' এখন অনলাইনে। #ShantiTea",
        "Bhorer Cha",
        ["launch", "bengali"],
        "scheduled",
    ),
    (
        2,
        "18:30",
        "hi",
        "मसाला चाय",
        "बारिश में मसाला चाय से बेहतर कुछ नहीं। आज शाम सभी कैफ़े में 10% छूट। #ShantiTea",
        "Monsoon",
        ["offer", "hindi"],
        "approval",
    ),
    (
        4,
        "11:00",
        "gu",
        "અમદાવાદ કૅફે",
        "અમદાવાદમાં અમારું નવું કૅફે હવે ખુલ્લું છે! ગરમ ચા અને નાસ્તો. #ShantiTea",
        "Ahmedabad opening",
        ["cafe", "gujarati"],
        "approved",
    ),
    (
        6,
        "10:00",
        "el",
        "Τσάι στην Αθήνα",
        "Το τσάι μας έφτασε στην Αθήνα! Ελάτε να δοκιμάσετε το Darjeeling μας. #ShantiTea",
        "Athens",
        ["cafe", "greek"],
        "scheduled",
    ),
    (
        8,
        "12:15",
        "en",
        "From the garden",
        "Meet Rina, who has picked tea in Darjeeling for 22 years. Her story, in her words: https://example.com/rina #ShantiTea",
        "Garden stories",
        ["story"],
        "changes",
    ),
    (
        10,
        "09:00",
        "bn",
        "দুর্গাপুজোর ব্লেন্ড",
        "পুজোর জন্য বিশেষ ব্লেন্ড আসছে। আগে থেকে অর্ডার দিন! #ShantiTea",
        "Festivals",
        ["festival", "bengali"],
        "scheduled",
    ),
    (
        13,
        "17:00",
        "hi",
        "नवरात्रि विशेष",
        "नवरात्रि पर हमारी केसर चाय आज़माएँ। सीमित स्टॉक! #ShantiTea",
        "Festivals",
        ["festival", "hindi"],
        "draft",
    ),
    (
        15,
        "08:30",
        "en",
        "Brewing guide",
        "Three minutes, 90°C, no sugar at first. How do you brew yours? #ShantiTea",
        "Tea school",
        ["howto"],
        "scheduled",
    ),
    (
        17,
        "19:00",
        "gu",
        "નવરાત્રિ ગરબા",
        "ગરબા પછી એક કપ ચા? અમારાં કૅફે મધરાત સુધી ખુલ્લાં. #ShantiTea",
        "Festivals",
        ["festival", "gujarati"],
        "approval",
    ),
    (
        20,
        "10:30",
        "el",
        "Πάσχα",
        "Καλό Πάσχα από όλους μας! Δοκιμάστε το νέο μας χαμομήλι. #ShantiTea",
        "Athens",
        ["festival", "greek"],
        "draft",
    ),
    (
        22,
        "13:00",
        "en",
        "Bakery partnership",
        "Fresh from the oven: our cafés now serve cakes from @kolkatabakes. #ShantiTea",
        "Partnerships",
        ["partners"],
        "scheduled",
    ),
    (
        25,
        "09:45",
        "bn",
        "বৃষ্টির দিন",
        "বৃষ্টি, বই আর এক কাপ দার্জিলিং। আপনার প্রিয় কম্বিনেশন কী? #ShantiTea",
        "Monsoon",
        ["engagement", "bengali"],
        "scheduled",
    ),
    (
        27,
        "16:00",
        "hi",
        "ग्राहक की कहानी",
        "हमारे पुराने ग्राहक अरुण जी बताते हैं कि वे दस साल से यहाँ क्यों आते हैं। #ShantiTea",
        "Garden stories",
        ["story", "hindi"],
        "draft",
    ),
)


def _demo_channels(workspace: Workspace) -> list[Channel]:
    """The workspace's channels, with a paused "Demo …" one added for each demo network it lacks
    (the inbox's demo may have made the Bluesky one already; it is reused)."""
    for network, name, handle in DEMO_CHANNELS:
        if not Channel.objects.filter(workspace=workspace, network=network).exists():
            Channel.objects.create(
                workspace=workspace,
                network=network,
                name=name,
                handle=handle,
                state=ChannelState.PAUSED,
                state_detail="Demo channel: not connected to a network.",
            )
    return list(Channel.objects.filter(workspace=workspace).order_by("id"))


def _member(workspace: Workspace, role: str) -> Member:
    """The demo's member with this role, or the owner when the demo has none."""
    members = Member.objects.filter(workspace=workspace).select_related("user")
    found = members.filter(role=role).first() or members.filter(role=Role.OWNER).first()
    assert found is not None, "a workspace always has an owner"
    return found


@transaction.atomic
def load_demo_posts(slug: str = DEMO_SLUG) -> list[Post]:
    workspace = Workspace.objects.filter(slug=slug).first()
    if workspace is None:
        return []
    made = [] if Post.objects.filter(workspace=workspace).exists() else _sample_posts(workspace)
    _demo_queues(workspace)
    _demo_thread(workspace)
    _demo_recurrence(workspace)
    queued = _demo_queued_post(workspace)
    return made + ([queued] if queued else [])


def _sample_posts(workspace: Workspace) -> list[Post]:
    channels = _demo_channels(workspace)
    owner = _member(workspace, Role.OWNER)
    writer = _member(workspace, Role.EDITOR)
    approver = _member(workspace, Role.MANAGER)
    zone = zoneinfo.ZoneInfo(workspace.time_zone)
    today = timezone.now().astimezone(zone).date()
    made = []
    for offset, at, _language, title, text, campaign, tags, fate in SAMPLES:
        author = Actor(user=writer.user, via="command")
        post = posts.create_post(
            writer,
            author,
            title=title,
            text=text,
            campaign=campaign,
            tags=tags,
            channel_ids=[c.pk for c in channels],
        )
        when = datetime.combine(today + timedelta(days=offset), time.fromisoformat(at), tzinfo=zone)
        decider = Actor(user=approver.user, via="command")
        for variant in post.variants.select_related("channel"):
            if variant.channel.network == "mastodon":
                # Each network gets its own words, not the same text everywhere.
                posts.edit_variant(writer, author, variant.pk, text=text + "\n\n#tea #chai")
            if fate != "approved":
                scheduling.plan_variant(writer, author, variant.pk, when)
            if fate in ("approval", "approved", "changes"):
                approvals.submit_for_approval(writer, author, variant.pk)
            if fate == "approved":
                approvals.approve_variant(approver, decider, variant.pk, comment="Looks good.")
                # Approved before it had a time (approval with a time schedules it): it waits
                # on the calendar for someone to schedule it.
                scheduling.plan_variant(writer, author, variant.pk, when)
            if fate == "changes":
                approvals.request_changes(
                    approver, decider, variant.pk, comment="Add the link to the video too."
                )
            if fate == "scheduled" and when > timezone.now():
                scheduling.schedule_variant(
                    owner, Actor(user=owner.user, via="command"), variant.pk, when
                )
        made.append(post)
    return made


def _demo_queues(workspace: Workspace) -> None:
    """Slots for each demo channel that has none yet (slots a person set are left alone)."""
    owner = _member(workspace, Role.OWNER)
    actor = Actor(user=owner.user, via="command")
    for channel in Channel.objects.filter(workspace=workspace, network__in=DEMO_QUEUES):
        if not QueueSlot.objects.filter(channel=channel).exists():
            slots = queues.parse_slots(DEMO_QUEUES[channel.network])
            queues.replace_slots(owner, actor, channel.pk, slots)


def _demo_thread(workspace: Workspace) -> None:
    """The garden story as a thread with a first comment, on each channel whose network takes
    them (the options' own check refuses an extra a network does not take)."""
    variants = Variant.objects.filter(post__workspace=workspace)
    if variants.filter(options__has_key="thread").exists():
        return
    writer = _member(workspace, Role.EDITOR)
    actor = Actor(user=writer.user, via="command")
    for variant in variants.filter(post__title=THREAD_TITLE).select_related("channel"):
        try:
            posts.edit_variant(
                writer,
                actor,
                variant.pk,
                options={**variant.options, "thread": THREAD, "first_comment": FIRST_COMMENT},
            )
        except ValidationError:
            continue  # this network has no threads or first comments


def _demo_recurrence(workspace: Workspace) -> None:
    if Recurrence.objects.filter(workspace=workspace).exists():
        return
    post = Post.objects.filter(workspace=workspace, title=RECURRING_TITLE).first()
    if post is None or not post.variants.exclude(scheduled_at=None).exists():
        return
    writer = _member(workspace, Role.EDITOR)
    recurrence.set_recurrence(
        writer, Actor(user=writer.user, via="command"), post.pk, frequency="weekly"
    )


def _demo_queued_post(workspace: Workspace) -> Post | None:
    """A post added to the queues, so each channel's next slot shows what fills it."""
    title, text, campaign, tags = QUEUED
    if Post.objects.filter(workspace=workspace, title=title).exists():
        return None
    channels = list(Channel.objects.filter(workspace=workspace, queue_slots__isnull=False))
    if not channels:
        return None
    owner = _member(workspace, Role.OWNER)
    actor = Actor(user=owner.user, via="command")
    post = posts.create_post(
        owner,
        actor,
        title=title,
        text=text,
        campaign=campaign,
        tags=tags,
        channel_ids=sorted({c.pk for c in channels}),
    )
    queues.queue_post(owner, actor, post.pk)
    return post
