"""Demo conversations: complaints, questions and praise in the languages of the demo brand."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from kalrav.channels.models import Channel, ChannelState
from kalrav.connectors.base import Author, IncomingItem, ItemKind
from kalrav.inbox.ingest import ingest
from kalrav.inbox.models import RoutingRule, SavedReply, Team
from kalrav.workspaces.models import Workspace

# (remote id, kind, author handle, author name, minutes ago, text, root)
ITEMS = [
    (
        "demo-1",
        ItemKind.MENTION,
        "asha.bsky.social",
        "Asha Roy",
        4,
        "@shantitea my order from Gariahat never arrived and nobody answers the phone. Very disappointed.",
        "",
    ),
    (
        "demo-2",
        ItemKind.COMMENT,
        "ravi.bsky.social",
        "Ravi Kumar",
        12,
        "Do you deliver to Salt Lake on Sundays?",
        "",
    ),
    (
        "demo-3",
        ItemKind.COMMENT,
        "mou.bsky.social",
        "Moumita Das",
        35,
        "আপনাদের ভোরের চা অসাধারণ! প্রতিদিন সকালে খাই।",
        "",
    ),
    (
        "demo-4",
        ItemKind.MENTION,
        "priya.bsky.social",
        "Priya Sharma",
        48,
        "चाय बहुत ठंडी थी और कप टूटा हुआ था, बहुत बुरा अनुभव",
        "",
    ),
    (
        "demo-5",
        ItemKind.COMMENT,
        "hetal.bsky.social",
        "Hetal Shah",
        75,
        "અમદાવાદમાં નવી શાખા ક્યારે ખુલશે?",
        "",
    ),
    (
        "demo-6",
        ItemKind.DIRECT_MESSAGE,
        "nikos.bsky.social",
        "Nikos Georgiou",
        130,
        "Γεια σας, μπορώ να παραγγείλω τσάι για γραφείο 20 ατόμων;",
        "",
    ),
    (
        "demo-7",
        ItemKind.REPLY,
        "asha.bsky.social",
        "Asha Roy",
        2,
        "Still waiting. Order #5512.",
        "demo-1",
    ),
    (
        "demo-8",
        ItemKind.MENTION,
        "dev.bsky.social",
        "Dev Mehta",
        300,
        "yaar Shanti Tea ki masala chai ekdum mast hai, thanks!",
        "",
    ),
]

SAVED_REPLIES = [
    (
        "Sorry, checking your order",
        "Dear {first_name}, we are sorry! We are checking your order right now and will write back within the hour. Your ticket: {ticket}.",
    ),
    ("Thank you", "Thank you {first_name}! We are so happy you enjoyed it."),
]


def load(workspace: Workspace) -> None:
    channel, _created = Channel.objects.get_or_create(
        workspace=workspace,
        network="bluesky",
        name="Demo Bluesky",
        defaults={
            "handle": "shantitea.bsky.social",
            "state": ChannelState.PAUSED,
            "state_detail": "Demo channel: not connected to a network.",
        },
    )
    now = timezone.now()
    items = [
        IncomingItem(
            kind=kind,
            remote_id=remote_id,
            author=Author(remote_id=f"did:demo:{handle}", handle=handle, display_name=name),
            text=text,
            created_at=now - timedelta(minutes=minutes),
            parent_id=root,
            root_id=root,
        )
        for remote_id, kind, handle, name, minutes, text, root in ITEMS
    ]
    teams = {}
    for name, email in (
        ("Support", "support@shantitea.example"),
        ("Sales", "sales@shantitea.example"),
    ):
        teams[name], _made = Team.objects.get_or_create(
            workspace=workspace, name=name, defaults={"email": email}
        )
    # Rules first, so the demo conversations arrive routed.
    RoutingRule.objects.get_or_create(
        workspace=workspace,
        name="Delivery problems to Support",
        defaults={
            "position": 0,
            "keywords": ["order", "delivery", "late", "never arrived", "অর্ডার", "ऑर्डर"],
            "team": teams["Support"],
            "priority": 2,
            "tags": ["delivery"],
        },
    )
    RoutingRule.objects.get_or_create(
        workspace=workspace,
        name="Office and bulk orders to Sales",
        defaults={
            "position": 1,
            "keywords": ["office", "bulk", "γραφείο", "wholesale"],
            "team": teams["Sales"],
            "tags": ["sales"],
        },
    )
    ingest(channel, items, via="poll")
    for title, text in SAVED_REPLIES:
        SavedReply.objects.get_or_create(workspace=workspace, title=title, defaults={"text": text})
