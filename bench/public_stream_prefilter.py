"""How many public posts a second one listening stream can read and prefilter: Jetstream JSON
events through `json.loads`, `jetstream_item` and the lowercase substring prefilter
(kalrav.connectors.text.public_terms) with 30 terms, the most a workspace's monitors give
(sources/network.py TERMS_PER_RUN). Bluesky's whole network makes a few hundred posts a second.
Last line: one JSON object."""

from __future__ import annotations

import json
import os
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kalrav.settings")

EVENTS = 50_000
WORDS = [
    "tea",
    "chai",
    "kettle",
    "morning",
    "train",
    "rain",
    "cricket",
    "match",
    "city",
    "coffee",
    "news",
    "music",
    "film",
]


def main() -> None:
    import django

    django.setup()
    from kalrav.connectors.networks.bluesky.public_stream import jetstream_item
    from kalrav.connectors.text.public_terms import Prefilter

    rng = random.Random(7)
    frames = []
    for n in range(EVENTS):
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 40)))
        record = {"$type": "app.bsky.feed.post", "text": text, "langs": ["en"],
                  "createdAt": "2026-12-07T10:00:00.000Z"}  # fmt: skip
        event = {"did": f"did:plc:{n:024d}", "time_us": n, "kind": "commit",
                 "commit": {"operation": "create", "collection": "app.bsky.feed.post",
                            "rkey": f"3k{n:011d}", "record": record}}  # fmt: skip
        frames.append(json.dumps(event))
    terms = [f"brand{n}" for n in range(29)] + ['"kettle morning"']
    prefilter = Prefilter(terms)
    began = time.perf_counter()
    passed = 0
    for frame in frames:
        item = jetstream_item(json.loads(frame))
        if item is not None and prefilter.passes(item.text):
            passed += 1
    seconds = time.perf_counter() - began
    print(
        json.dumps(
            {
                "benchmark": "public_stream_prefilter",
                "events": EVENTS,
                "terms": len(terms),
                "passed": passed,
                "posts_per_s": round(EVENTS / seconds),
                "path": "Jetstream JSON -> jetstream_item -> Prefilter.passes (one core)",
                "load_average": [round(value, 2) for value in os.getloadavg()],
                "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            }
        )
    )


if __name__ == "__main__":
    main()
