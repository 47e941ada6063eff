"""The sandbox's simulated audience: who writes, what they write and when. Everything is
derived from a hash of the post's id, so the same post gets the same replies at the same moments
in every process and on every run, and nothing needs a clock but the one that asks.

Texts come from the labelled sentiment sets in `../shared/data/sentiment/` where that folder sits
beside the project (short texts only, without links or mentions), and from the small set below
otherwise, so a lone clone has an audience too."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "sentiment"
SHARED_FILES = {
    "bn": "bn-blp23.jsonl",
    "hi": "hi-tweets.jsonl",
    "gu": "gu-gsa.jsonl",
    "el": "el-sentimp21.jsonl",
    "en": "en-sentimp21.jsonl",
}
PER_LANGUAGE = 120  # texts taken from each shared file
MAX_LENGTH = 160

BUILT_IN: dict[str, tuple[str, ...]] = {
    "bn": (
        "দারুণ! কাল সকালেই আসছি।",
        "এটা কি অনলাইনে পাওয়া যাবে?",
        "আমার অর্ডার এখনও আসেনি, একটু দেখবেন?",
        "আপনাদের চা সত্যিই অসাধারণ।",
    ),
    "hi": (
        "बहुत बढ़िया! आज शाम आता हूँ।",
        "क्या यह ऑनलाइन भी मिलेगा?",
        "मेरा ऑर्डर अभी तक नहीं आया, कृपया देखें।",
        "आपकी चाय का स्वाद लाजवाब है।",
    ),
    "gu": (
        "સરસ! કાલે સવારે આવીશ.",
        "શું આ ઓનલાઇન મળશે?",
        "મારો ઓર્ડર હજી આવ્યો નથી, જરા જોશો?",
        "તમારી ચા ખરેખર ઉત્તમ છે.",
    ),
    "el": (
        "Τέλειο! Θα περάσω αύριο το πρωί.",
        "Υπάρχει και στο ηλεκτρονικό κατάστημα;",
        "Η παραγγελία μου δεν έχει έρθει ακόμα, μπορείτε να δείτε;",
        "Το τσάι σας είναι υπέροχο.",
    ),
    "en": (
        "Lovely! See you tomorrow morning.",
        "Is this available online too?",
        "My order has not arrived yet, could you check?",
        "Your chai is the best in town.",
    ),
}

# Who writes in each language, so a name goes with the words.
PEOPLE: dict[str, tuple[tuple[str, str], ...]] = {
    "bn": (("ananya.reads", "Ananya Roy"), ("tanvir.h", "Tanvir Hasan")),
    "hi": (("rohit_k", "Rohit Kumar"), ("neha_travels", "Neha Joshi")),
    "gu": (("krupa.shah", "Krupa Shah"), ("dhaval.p", "Dhaval Patel")),
    "el": (("maria.k", "Μαρία Κ."), ("nikos.p", "Νίκος Π.")),
    "en": (("sam.brews", "Sam O'Neill"), ("priya.m", "Priya Menon")),
}

# Minutes after a post when its audience replies: the first comes quickly, so someone trying
# the sandbox sees one within a poll or two.
REPLY_MINUTES = (1, 6, 25, 90, 240)
MENTION_EVERY = timedelta(hours=8)
# Mentions older than this are not made up after the fact: an account that has been quiet for
# weeks does not find a month of them at once.
MENTION_WINDOW = timedelta(days=2)


@dataclass(frozen=True)
class Voice:
    handle: str
    name: str
    language: str
    text: str


def digest(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("|".join(parts).encode()).digest()[:8], "big")


def _shared(language: str) -> list[str]:
    path = SHARED / SHARED_FILES[language]
    if not path.is_file():
        return []
    found: list[str] = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            text = str(row.get("text") or "").strip()
            # Positive and neutral only: the sets' negative texts are mostly political anger,
            # not what a brand's audience writes; the built-in set has the complaints.
            if (
                row.get("label") in ("positive", "neutral")
                and 0 < len(text) <= MAX_LENGTH
                and not any(mark in text for mark in ("http", "@", "#", "&"))
            ):
                found.append(text)
            if len(found) >= PER_LANGUAGE:
                break
    return found


@cache
def texts() -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
    """(language, text) of what the audience may say: the built-in set, and the shared one
    (empty in a lone clone)."""
    built_in = tuple((language, text) for language in BUILT_IN for text in BUILT_IN[language])
    shared = tuple((language, text) for language in SHARED_FILES for text in _shared(language))
    return built_in, shared


def voice(*seed: str) -> Voice:
    built_in, shared = texts()
    # Half from each where both exist, so the brand's own kind of message is always heard.
    pool = shared if shared and digest("source", *seed) % 2 else built_in
    language, text = pool[digest("text", *seed) % len(pool)]
    people = PEOPLE[language]
    handle, name = people[digest("who", *seed) % len(people)]
    return Voice(handle, name, language, text)


def replies_due(post_id: str, published: datetime, now: datetime) -> list[tuple[int, datetime]]:
    """(number, moment) of each reply to a post that has arrived by `now`: two to five per post."""
    count = 2 + digest("count", post_id) % 4
    due = [(n, published + timedelta(minutes=m)) for n, m in enumerate(REPLY_MINUTES[:count])]
    return [(n, moment) for n, moment in due if moment <= now]


def mentions_due(account: str, since: datetime, now: datetime) -> list[tuple[int, datetime]]:
    """(number, moment) of each mention of the account in the last two days, one every few hours
    counted from when it joined (so a mention keeps its number from one poll to the next)."""
    first = max(1, math.ceil((now - MENTION_WINDOW - since) / MENTION_EVERY))
    count = int((now - since) / MENTION_EVERY)
    return [(n, since + MENTION_EVERY * n) for n in range(first, count + 1)]


def engagement(post_id: str, published: datetime, now: datetime) -> dict[str, int]:
    """Likes and reposts grow with the square root of the time since the post, at a rate of its
    own; replies count the replies that have arrived."""
    minutes = max((now - published).total_seconds() / 60, 0)
    rate = 1 + digest("rate", post_id) % 300 / 100  # 1.00 to 3.99 likes per √minute
    likes = int(rate * math.sqrt(minutes))
    return {
        "likes": likes,
        "reposts": likes // 4,
        "replies": len(replies_due(post_id, published, now)),
        "views": likes * 12 + int(minutes),
    }
