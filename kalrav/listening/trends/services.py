"""Trends: per language, the terms and hashtags of the workspace's mentions that rise
significantly in the last day against the week before (`stats.rising`), with a day-by-day
count for a sparkline and the posts that show them."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from kalrav.listening.models import Mention
from kalrav.listening.trends import stats
from kalrav.listening.trends.terms import terms_of, text_of

RECENT = timedelta(days=1)
BASELINE_DAYS = 7
# Newest mentions read; the page answers quickly even for a busy workspace.
SCANNED = 20_000
EXAMPLES = 3
SHOWN_PER_LANGUAGE = 15


@dataclass
class Trend:
    term: str
    language: str
    recent: int
    baseline: int
    ratio: float
    score: float
    days: list[int]  # mentions holding the term per day, oldest first, the last day last
    examples: list[Mention] = field(default_factory=list)


def trends(workspace_id: int, now: datetime, *, min_count: int = 5) -> dict[str, list[Trend]]:
    """Rising terms per language (the mention's language, "" when unknown), strongest first."""
    since = now - RECENT - timedelta(days=BASELINE_DAYS)
    split = now - RECENT
    rows = (
        Mention.objects.filter(
            workspace_id=workspace_id,
            published_at__gte=since,
            published_at__lte=now,
            is_hidden=False,
            matches__isnull=False,
        )
        .distinct()
        .order_by("-published_at")
        .only("pk", "title", "text", "language", "published_at")
    )
    recent: dict[str, Counter[str]] = defaultdict(Counter)
    baseline: dict[str, Counter[str]] = defaultdict(Counter)
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    days: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * (BASELINE_DAYS + 1))
    holders: dict[tuple[str, str], list[int]] = defaultdict(list)
    for mention in rows[:SCANNED].iterator(chunk_size=2000):
        lang = mention.language
        terms = terms_of(text_of(mention.title, mention.text))
        day = min(BASELINE_DAYS, int((mention.published_at - since) / timedelta(days=1)))
        for term in terms:
            days[lang, term][day] += 1
        if mention.published_at > split:
            recent[lang].update(terms)
            totals[lang][0] += 1
            for term in terms:
                if len(holders[lang, term]) < EXAMPLES:
                    holders[lang, term].append(mention.pk)
        else:
            baseline[lang].update(terms)
            totals[lang][1] += 1
    found: dict[str, list[Trend]] = {}
    wanted: set[int] = set()
    for lang, counts in recent.items():
        rising = stats.rising(
            counts, baseline[lang], totals[lang][0], totals[lang][1], min_count=min_count
        )[:SHOWN_PER_LANGUAGE]
        if rising:
            found[lang] = [
                Trend(r.term, lang, r.recent, r.baseline, r.ratio, r.score, days[lang, r.term])
                for r in rising
            ]
            for r in rising:
                wanted.update(holders[lang, r.term])
    examples = {m.pk: m for m in Mention.objects.filter(pk__in=wanted)}
    for items in found.values():
        for trend in items:
            trend.examples = [
                examples[pk] for pk in holders[trend.language, trend.term] if pk in examples
            ]
    return found
