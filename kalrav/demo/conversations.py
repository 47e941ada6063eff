"""The demo inbox's conversations: the last hours' messages (a complaint, questions, praise, in
the demo brand's languages) and three weeks of history, each with what became of it.
"""

from __future__ import annotations

from dataclasses import dataclass

from kalrav.connectors.base import ItemKind
from kalrav.inbox.sla import breaches
from kalrav.workspaces.permissions import Role

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
        95,
        "yaar Shanti Tea ki masala chai ekdum mast hai, thanks!",
        "",
    ),
]


@dataclass(frozen=True)
class Past:
    """A conversation of the last three weeks and what became of it (minutes after it arrived;
    None: not yet). `breach` names the target it missed and that is still open."""

    remote_id: str
    handle: str
    name: str
    days_ago: int
    at: str  # local time in the workspace's zone
    text: str
    worker: Role  # who answered it and is assigned
    reply: str = ""
    answered: int | None = None
    resolved: int | None = None
    breach: str = ""


HISTORY = [
    Past(
        "demo-h1",
        "rahul.bsky.social",
        "Rahul Ghosh",
        20,
        "10:15",
        "My order of first flush arrived with a torn packet.",
        Role.AGENT,
        "So sorry, Rahul! A new packet is on its way today, at no charge.",
        18,
        240,
    ),
    Past(
        "demo-h2",
        "tania.bsky.social",
        "Tania Bose",
        17,
        "11:40",
        "অর্ডার এখনও পৌঁছায়নি, তিন দিন হয়ে গেল।",
        Role.AGENT,
        "দুঃখিত! আপনার অর্ডার আজ সন্ধ্যায় পৌঁছে যাবে।",
        25,
        300,
    ),
    Past(
        "demo-h3",
        "sam.bsky.social",
        "Sam Dutta",
        13,
        "15:05",
        "Delivery was late again, the tea was cold by the time it came.",
        Role.AGENT,
        "We are sorry, Sam. We have spoken to the courier; your next delivery is on us.",
        55,
        600,
    ),
    Past(
        "demo-h4",
        "neha.bsky.social",
        "Neha Verma",
        9,
        "09:20",
        "मेरा ऑर्डर गलत आया, मसाला चाय की जगह ग्रीन टी।",
        Role.MANAGER,
        "माफ़ कीजिए नेहा जी! सही मसाला चाय आज ही भेज रहे हैं।",
        12,
        180,
    ),
    Past(
        "demo-h5",
        "arun.bsky.social",
        "Arun Pillai",
        6,
        "12:30",
        "Can I change the delivery address for order #5620?",
        Role.AGENT,
        "Of course, Arun: send us the new address in a DM and we will change it.",
        8,
        45,
    ),
    Past(
        "demo-h6",
        "kiran.bsky.social",
        "Kiran Rao",
        3,
        "16:45",
        "Order #5698 still shows 'packed' since yesterday. When will it ship?",
        Role.AGENT,
        "Checking with the warehouse now, Kiran; we will write back today.",
        20,
        None,
        breaches.RESOLUTION,
    ),
    Past(
        "demo-b1",
        "meera.bsky.social",
        "Meera Iyer",
        15,
        "11:00",
        "I was charged twice for one subscription box. Please refund one.",
        Role.MANAGER,
        "Sorry, Meera! The second charge is refunded; it shows on your card in 3-5 days.",
        95,
        600,
    ),
    Past(
        "demo-b2",
        "vikram.bsky.social",
        "Vikram Shah",
        8,
        "14:10",
        "Can I get a GST invoice for my payment last week?",
        Role.MANAGER,
        "Yes, Vikram: the invoice is in your email now.",
        300,
        420,
    ),
    Past(
        "demo-b3",
        "maria.bsky.social",
        "Maria Kosta",
        2,
        "10:30",
        "Χρεώθηκα δύο φορές στην κάρτα μου και κανείς δεν απαντά. Πολύ απογοητευμένη. Πότε θα γίνει η επιστροφή της πληρωμής;",
        Role.MANAGER,
        breach=breaches.FIRST_RESPONSE,
    ),
    Past(
        "demo-p1",
        "ananya.bsky.social",
        "Ananya Sen",
        11,
        "10:00",
        "Hi, I'm a journalist with a Kolkata daily: could we interview your founder about the growers?",
        Role.OWNER,
        "Happy to, Ananya! We have sent you a few dates by email.",
        40,
        200,
    ),
    Past(
        "demo-p2",
        "foodie.bsky.social",
        "Kolkata Foodie",
        4,
        "18:20",
        "Food blogger here: open to a collaboration for Durga Puja?",
        Role.OWNER,
        "We would love that! Let's talk: we have written to you.",
        15,
        120,
    ),
    Past(
        "demo-n1",
        "jignesh.bsky.social",
        "Jignesh Modi",
        19,
        "19:30",
        "અમદાવાદની શ્રેષ્ઠ ચા! આભાર.",
        Role.AGENT,
        "આભાર જિગ્નેશભાઈ! ફરી જરૂર આવજો.",
        9,
        10,
    ),
    Past(
        "demo-n2",
        "lina.bsky.social",
        "Lina Das",
        12,
        "08:10",
        "Do you sell gift cards?",
        Role.AGENT,
        "We do, Lina: at every café and on the website.",
        22,
        30,
    ),
    Past(
        "demo-n3",
        "eleni.bsky.social",
        "Eleni Vlachou",
        5,
        "13:00",
        "Πολύ ωραίο τσάι, ευχαριστούμε!",
        Role.OWNER,
        "Ευχαριστούμε πολύ, Ελένη!",
        6,
        7,
    ),
]
