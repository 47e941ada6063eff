"""Listening: posts per second per core through 1,000 monitors, against two yardsticks.

    .venv/bin/python bench/listening_throughput.py [--data DIR] [--posts N] [--monitors N]

The stream replays every labelled set in ../shared/data/sentiment (12 languages and scripts,
interleaved as a firehose would mix them) as JSON lines with an author and a URL; without the
shared data it falls back to a generated multilingual stream and says so. Monitors are drawn,
with a fixed seed, from the stream's own vocabulary with every operator of the query language.

Measured on one core, in the same run: plain `json.loads` of each line (the ceiling: no
listening can be faster than reading its input); matching alone, in batches as intake matches
(`Matcher.match_batch`) and one post at a time (`Matcher.match`, what the preview uses; the two
must agree post for post); a naive first version, one regex per monitor tried on every post (it
only looks for the monitors' positive words, so it does less than the matcher); and the path
listening intake takes (end to end): decoding, then in batches of a stream source's size
`kalrav.listening.intake.take.read` (the stream reader's language identification and fast
sentiment of every item, as intake reads each fresh item, matched or not), then the batch
matcher with each item's language. Only storing is left out (the database is measured by other
benches). The same path without the compiled parts (`classify_batch`, the matcher one post at a
time) is timed on a slice, and each stage alone, to say where the time goes.
Rates are posts per CPU second of this process, so other work on the machine does not count
against them; wall-clock rates are printed too. The last line of output is one JSON object.
"""

from __future__ import annotations

import argparse
import collections
import gc
import itertools
import json
import os
import platform
import random
import re
import sys
import time
from collections.abc import Callable, Hashable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kalrav.settings")
# One core: OpenBLAS (numpy's, used by the portable path's sentiment model) otherwise keeps
# threads spinning on the other core after each call, and their CPU time counts in this
# process's, against whichever leg runs next.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import django  # noqa: E402

django.setup()

from kalrav.listening.intake.take import Collected, read  # noqa: E402
from kalrav.listening.query import Matcher, Post, parse  # noqa: E402
from kalrav.listening.query import words as text_words  # noqa: E402
from kalrav.listening.query.evaluate import Seen  # noqa: E402
from kalrav.listening.query.tree import Field, Hashtag, Mention, Node, Phrase, Term  # noqa: E402
from kalrav.listening.sources.streams import FLUSH_ITEMS  # noqa: E402
from kalrav.nlp.services import classify_batch, stream_reader  # noqa: E402

T = TypeVar("T")
SITES = [f"site{n}.example" for n in range(40)] + ["news.example.com", "blog.example.org"]
# Syllables of each script (consonant with vowel sign, virama conjuncts, accented Greek) for
# a made-up vocabulary when the shared data is absent.
_SYLLABLES = {
    "en": "ba be co di fu ga ho ki lo ma ne pi ro sa te vu wa ye zo ch th st",
    "bn": "কা কি কু কে কো মা মি রা রে লা সা তি দু না পি বা ক্ষ ন্দ স্ত র্ম",
    "hi": "का कि कु के को मा मी रा रे ला सा ति दु ना पि बा क्ष न्द स्त र्म",
    "gu": "કા કિ કુ કે કો મા મી રા રે લા સા તિ દુ ના પિ બા ક્ષ ન્દ સ્ત ર્મ",
    "el": "κα κέ κο μά μι ρα ρέ λα σα τί δυ να πι βα στ ξι ψα γή φω χρ",
}


def shared_stream(data_dir: Path) -> list[tuple[str, str]]:
    per_file = []
    for path in sorted(data_dir.glob("*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            rows = (json.loads(line) for line in handle if line.strip())
            per_file.append([(row["text"], row["language"]) for row in rows])
    return [pair for group in itertools.zip_longest(*per_file) for pair in group if pair]


def generated_stream(count: int, rng: random.Random) -> list[tuple[str, str]]:
    """Texts drawn from a Zipf-distributed made-up vocabulary of 3,000 words per language, so
    word frequencies, and how selective a monitor's words are, look like real text."""
    vocabularies = {
        language: [
            "".join(rng.choice(syllables.split()) for _ in range(rng.randint(2, 4)))
            for _ in range(3000)
        ]
        for language, syllables in _SYLLABLES.items()
    }
    weights = [1 / rank for rank in range(1, 3001)]
    stream = []
    for _ in range(count):
        language = rng.choice(list(vocabularies))
        text = " ".join(rng.choices(vocabularies[language], weights, k=rng.randint(6, 25)))
        if rng.random() < 0.2:
            text += f" #{rng.choices(vocabularies[language], weights)[0]}"
        stream.append((text, language))
    return stream


def to_lines(stream: list[tuple[str, str]], count: int, rng: random.Random) -> list[str]:
    posts = itertools.islice(itertools.cycle(stream), count)
    return [
        json.dumps(
            {
                "text": text,
                "lang": language,
                "author": f"user{rng.randrange(5000)}",
                "url": f"https://{rng.choice(SITES)}/p/{index}",
            },
            ensure_ascii=False,
        )
        for index, (text, language) in enumerate(posts)
    ]


def monitors(posts: list[dict], count: int, rng: random.Random) -> dict[Hashable, Node]:
    """Queries over the stream's mid-frequency words: common enough to match now and then,
    rare enough to be what a brand or a topic looks like."""
    frequency: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    bigrams: dict[str, list[tuple[str, str]]] = collections.defaultdict(list)
    tags: collections.Counter[str] = collections.Counter()
    for post in posts[:20000]:
        found = text_words.words(post["text"])
        frequency[post["lang"]].update(found)
        bigrams[post["lang"]].extend(itertools.pairwise(found))
        tags.update(text_words.hashtags(post["text"]))
    # The 30 most common words of a language are its "the" and "and": no monitor is about them
    # (a small generated vocabulary keeps them all).
    pools = {
        language: [
            word
            for word, _ in counts.most_common()[30 if len(counts) > 300 else 0 : 1500]
            if len(word) > 1
        ]
        for language, counts in frequency.items()
    }
    pools = {language: pool for language, pool in pools.items() if len(pool) >= 5}
    tag_pool = [tag for tag, _ in tags.most_common(300)] or ["tea"]
    authors = sorted({post["author"] for post in posts[:5000]})
    queries: dict[Hashable, Node] = {}
    for number in range(count):
        language = rng.choice(sorted(pools))
        pool = pools[language]

        def word(pool=pool) -> str:
            return rng.choice(pool)

        kind = number % 10
        if kind == 0:
            text = " OR ".join(word() for _ in range(3))
        elif kind == 1:
            pair = rng.choice(bigrams[language])
            text = f'"{pair[0]} {pair[1]}"'
        elif kind == 2:
            text = f"{word()} AND ({word()} OR {word()}) NOT {word()}"
        elif kind == 3:
            text = f"{word()[:4]}* lang:{language}"
        elif kind == 4:
            text = f"{word()} NEAR/3 {word()}"
        elif kind == 5:
            text = f"({word()} OR {word()}) NEAR/5f {word()}"
        elif kind == 6:
            text = f"#{rng.choice(tag_pool)} OR {word()}"
        elif kind == 7:
            text = f"{word()} site:{rng.choice(SITES)}"
        elif kind == 8:
            text = f"author:{rng.choice(authors)} OR {word()} {word()}"
        else:
            text = f"{word()} OR {word()} NOT lang:{language}"
        try:
            queries[number] = parse(text)
        except ValueError:
            queries[number] = parse(word())
    return queries


def positive_words(node: Node) -> list[str]:
    if isinstance(node, Term):
        return [node.word]
    if isinstance(node, Phrase):
        return [" ".join(node.words)]
    if isinstance(node, Hashtag):
        return ["#" + node.name]
    if isinstance(node, Mention | Field):
        return []
    children = getattr(node, "operands", None) or [
        child for child in (getattr(node, "left", None), getattr(node, "right", None)) if child
    ]
    return [word for child in children for word in positive_words(child)]


def naive_regexes(queries: dict[Hashable, Node]) -> list[re.Pattern[str]]:
    """What a first version does: one regex per monitor, searched in every post."""
    compiled = []
    for tree in queries.values():
        found = positive_words(tree) or ["\x00"]
        alternatives = "|".join(re.escape(word) for word in found)
        compiled.append(re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE))
    return compiled


def collected(post: dict) -> Collected:
    """A decoded line as a stream source hands it to intake (sources.network.collected)."""
    return Collected(
        text=post["text"],
        published_at=datetime.now(UTC),
        url=post["url"],
        network="bluesky",
        author_handle=post["author"],
        language=post["lang"],
    )


def intake_path(lines: list[str], matcher: Matcher) -> list[tuple[list, str]]:
    """Decode, read (language and fast sentiment) and match, as intake does, batch by batch."""
    out: list[tuple[list, str]] = []
    for start in range(0, len(lines), FLUSH_ITEMS):
        items = [collected(json.loads(line)) for line in lines[start : start + FLUSH_ITEMS]]
        languages, found = read(items)
        matched = matcher.match_batch(
            [item.full_text for item in items],
            languages,
            [item.author_handle for item in items],
            [item.url for item in items],
            [item.hashtags for item in items],
        )
        out.extend(zip(matched, found.sentiments, strict=True))
    return out


def portable_path(lines: list[str], matcher: Matcher) -> list[tuple[list, str]]:
    """The same without the compiled parts: lingua and the fast sentiment model
    (`classify_batch`, what the inbox uses), and the matcher one post at a time."""
    out = []
    for start in range(0, len(lines), FLUSH_ITEMS):
        items = [collected(json.loads(line)) for line in lines[start : start + FLUSH_ITEMS]]
        readings = classify_batch([item.full_text for item in items])
        for item, found in zip(items, readings, strict=True):
            language = item.language or ("" if found.language == "und" else found.language)
            post = Post(item.full_text, language, item.author_handle, item.url, item.hashtags)
            out.append((matcher.match(post), found.sentiment))
    return out


def stages(lines: list[str], matcher: Matcher, rounds: int) -> dict[str, float]:
    """CPU seconds per post of each stage of the intake path timed alone (best of `rounds`), on
    the texts and batches of the end-to-end leg: decoding, the stream reader's language
    identification and its sentiment, and batch matching."""
    reader = stream_reader()
    assert reader is not None
    batches = [lines[start : start + FLUSH_ITEMS] for start in range(0, len(lines), FLUSH_ITEMS)]
    decoded = [[json.loads(line) for line in batch] for batch in batches]
    texts = [[post["text"] for post in batch] for batch in decoded]
    labels = [reader.identifier.detect(batch)[0] for batch in texts]
    domains = reader.identifier.domains

    def best(function: Callable[[], object]) -> float:
        return min(timed(function)[1] for _ in range(rounds)) / len(lines)

    return {
        "decode": best(lambda: [[json.loads(line) for line in batch] for batch in batches]),
        "language": best(lambda: [reader.identifier.detect(batch) for batch in texts]),
        "sentiment": best(
            lambda: [
                reader.sentiment.predict(batch, found, domains)
                for batch, found in zip(texts, labels, strict=True)
            ]
        ),
        "match": best(
            lambda: [
                matcher.match_batch(
                    [post["text"] for post in batch],
                    [post["lang"] for post in batch],
                    [post["author"] for post in batch],
                    [post["url"] for post in batch],
                )
                for batch in decoded
            ]
        ),
    }


def settle() -> None:
    """Keep the bench's own data (the whole decoded stream, earlier legs' outputs) out of the
    garbage collector's full passes: a listener holds only its batch, and a full pass over
    200,000 objects it does not have made single rounds 30% slower, at random."""
    gc.collect()
    gc.freeze()


def timed(function: Callable[[], T]) -> tuple[float, float, T]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = function()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "sentiment")
    parser.add_argument("--posts", type=int, default=50000)
    parser.add_argument("--monitors", type=int, default=1000)
    parser.add_argument("--naive-posts", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--end-to-end-posts", type=int, default=25000, help="posts for the intake-path leg"
    )
    parser.add_argument(
        "--portable-posts", type=int, default=2000, help="posts for the portable path's leg"
    )
    parser.add_argument(
        "--ratio-rounds", type=int, default=9, help="alternating rounds of ceiling and intake"
    )
    args = parser.parse_args()
    rng = random.Random(19)

    stream = shared_stream(args.data) if args.data.is_dir() else []
    source = "shared" if stream else "generated"
    if not stream:
        print(f"{args.data} is not there: using a generated multilingual stream")
        stream = generated_stream(5000, rng)
    lines = to_lines(stream, args.posts, rng)
    decoded = [json.loads(line) for line in lines]
    queries = monitors(decoded, args.monitors, rng)
    started = time.perf_counter()
    matcher = Matcher(queries)
    build_seconds = time.perf_counter() - started
    languages = collections.Counter(post["lang"] for post in decoded)
    print(
        f"{len(lines)} posts from {source} data ({len(languages)} languages), "
        f"{len(queries)} monitors, matcher built in {build_seconds:.2f} s"
    )

    def parse_all():
        return [json.loads(line) for line in lines]

    def match_all():
        return [
            matcher.match(Post(post["text"], post["lang"], post["author"], post["url"]))
            for post in decoded
        ]

    def match_batches():
        out: list[list] = []
        for start in range(0, len(decoded), FLUSH_ITEMS):
            batch = decoded[start : start + FLUSH_ITEMS]
            out += matcher.match_batch(
                [post["text"] for post in batch],
                [post["lang"] for post in batch],
                [post["author"] for post in batch],
                [post["url"] for post in batch],
            )
        return out

    results: dict[str, dict[str, float]] = {}
    outputs: dict[str, list] = {}

    def measure(name: str, function: Callable[[], list], count: int) -> None:
        settle()
        best_cpu = best_wall = float("inf")
        for _ in range(args.rounds):
            wall, cpu, output = timed(function)
            best_cpu, best_wall = min(best_cpu, cpu), min(best_wall, wall)
        outputs[name] = output
        results[name] = {
            "posts_per_cpu_second": round(count / best_cpu),
            "posts_per_wall_second": round(count / best_wall),
        }
        print(f"{name}: {results[name]['posts_per_cpu_second']:,} posts per CPU second")

    measure("json_parse", parse_all, len(lines))
    measure("match_one_by_one", match_all, len(lines))
    measure("match", match_batches, len(lines))
    # The batch matcher must say what the one-by-one matcher says, post for post.
    assert outputs["match"] == outputs["match_one_by_one"], "batch and one-by-one matching differ"

    # The end-to-end leg runs on the part of the stream before its texts repeat (the same
    # interleaving of the sets, so the same mix of languages).
    sample_lines = lines[: args.end_to_end_posts]
    read([collected(json.loads(line)) for line in sample_lines[:FLUSH_ITEMS]])  # load the models
    measure("intake_path", lambda: intake_path(sample_lines, matcher), len(sample_lines))
    # The goal compares the two on the same lines; timing them in turn, round after round,
    # lets a busy moment of the machine weigh on both, and the median ratio says the rest.
    ratios = []
    settle()
    for _ in range(args.ratio_rounds):
        ceiling = timed(lambda: [json.loads(line) for line in sample_lines])[1]
        intake = timed(lambda: intake_path(sample_lines, matcher))[1]
        ratios.append(ceiling / intake)
    ratios.sort()
    portable_lines = sample_lines[: args.portable_posts]
    classify_batch(["load the models"])
    measure("portable_path", lambda: portable_path(portable_lines, matcher), len(portable_lines))
    total = 1 / results["intake_path"]["posts_per_cpu_second"]
    per_post = {"total": total, **stages(sample_lines, matcher, args.rounds)}
    # What the stages timed alone do not cover: building the items and the columns, clipping,
    # and the caches each stage loses to the others when they alternate.
    per_post["rest"] = total - sum(
        seconds for stage, seconds in per_post.items() if stage != "total"
    )
    shares = {
        stage: round(seconds / total, 3) for stage, seconds in per_post.items() if stage != "total"
    }
    print(
        f"intake path against json.loads of the same lines, {len(ratios)} alternating rounds: "
        f"median {ratios[len(ratios) // 2]:.1%}, lowest {ratios[0]:.1%}, highest {ratios[-1]:.1%}"
    )
    print(
        "share of the intake path's time: " + ", ".join(f"{k} {v:.0%}" for k, v in shares.items())
    )

    naive = naive_regexes(queries)
    sample = decoded[: args.naive_posts]
    wall, cpu, _ = timed(
        lambda: [[i for i, rx in enumerate(naive) if rx.search(p["text"])] for p in sample]
    )
    results["naive_regex_per_monitor"] = {
        "posts_per_cpu_second": round(len(sample) / cpu),
        "posts_per_wall_second": round(len(sample) / wall),
    }
    print(
        f"naive: {results['naive_regex_per_monitor']['posts_per_cpu_second']:,} posts per CPU second"
    )

    matched = outputs["match"]
    seen = [Seen(Post(p["text"], p["lang"], p["author"], p["url"])) for p in decoded[:5000]]
    candidates = sum(len(matcher.candidates(s)) for s in seen) / len(seen)
    match_rate = results["match"]["posts_per_cpu_second"]
    print(
        json.dumps(
            {
                "benchmark": "listening_throughput",
                "data": source,
                "posts": len(lines),
                "languages": len(languages),
                "monitors": len(queries),
                "unanchored_monitors": len(matcher.always),
                "mean_candidates_per_post": round(candidates, 1),
                "mean_matches_per_post": round(sum(map(len, matched)) / len(matched), 3),
                "posts_matching_any": round(sum(bool(m) for m in matched) / len(matched), 3),
                "build_seconds": round(build_seconds, 2),
                "rounds": args.rounds,
                **{name: value for name, value in results.items()},
                "match_share_of_parse_ceiling": round(
                    match_rate / results["json_parse"]["posts_per_cpu_second"], 3
                ),
                "speedup_over_naive": round(
                    match_rate / results["naive_regex_per_monitor"]["posts_per_cpu_second"], 1
                ),
                "goal_posts_per_second": 20000,
                "goal_met": match_rate >= 20000,
                "end_to_end_posts": len(sample_lines),
                "intake_batch": FLUSH_ITEMS,
                "end_to_end_share_of_parse_ceiling": round(
                    results["intake_path"]["posts_per_cpu_second"]
                    / results["json_parse"]["posts_per_cpu_second"],
                    4,
                ),
                "portable_share_of_parse_ceiling": round(
                    results["portable_path"]["posts_per_cpu_second"]
                    / results["json_parse"]["posts_per_cpu_second"],
                    4,
                ),
                "end_to_end_share_same_lines": {
                    "median": round(ratios[len(ratios) // 2], 4),
                    "lowest": round(ratios[0], 4),
                    "highest": round(ratios[-1], 4),
                    "rounds": len(ratios),
                },
                "goal_end_to_end_share": 0.25,
                "goal_end_to_end_met": ratios[len(ratios) // 2] >= 0.25,
                "microseconds_per_post": {
                    stage: round(seconds * 1e6, 1) for stage, seconds in per_post.items()
                },
                "share_of_end_to_end": shares,
                "stream_reader": "native" if stream_reader() else "portable",
                "cores": 1,
                "machine_cores": os.cpu_count(),
                "load_average": [round(load, 1) for load in os.getloadavg()],
                "python": platform.python_version(),
            }
        )
    )


if __name__ == "__main__":
    main()
