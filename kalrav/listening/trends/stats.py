"""Which terms rise significantly against their own baseline.

The test is Dunning's log-likelihood ratio (G²) on the 2x2 table "this term / every other term"
x "recent window / baseline": unlike a ratio it knows that 3 against 0 is noise and 300 against
100 is news, and unlike a z-score it stays honest for rare terms (Dunning 1993, "Accurate
methods for the statistics of surprise and coincidence"). A term rises when it is used at least
`min_count` times recently, at least `min_ratio` times its (smoothed) baseline rate, and G² is at
least 10.83 (p < 0.001 with one degree of freedom).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

SIGNIFICANT = 10.83
# Half a use added to the baseline so a term never seen before gets a finite ratio.
SMOOTHING = 0.5


@dataclass(frozen=True)
class Rising:
    term: str
    recent: int
    baseline: int
    ratio: float
    score: float


def _xlogx(k: float, n: float) -> float:
    return k * math.log(k / n) if k > 0 else 0.0


def g2(recent: int, baseline: int, recent_total: int, baseline_total: int) -> float:
    """Dunning's G² for a term used `recent` times among `recent_total` uses and `baseline`
    among `baseline_total`."""
    a, b = recent, baseline
    c, d = max(recent_total - a, 0), max(baseline_total - b, 0)
    n = a + b + c + d
    if n == 0:
        return 0.0
    return 2 * (
        _xlogx(a, (a + b) * (a + c) / n)
        + _xlogx(b, (a + b) * (b + d) / n)
        + _xlogx(c, (c + d) * (a + c) / n)
        + _xlogx(d, (c + d) * (b + d) / n)
    )


def rising(
    recent: Mapping[str, int],
    baseline: Mapping[str, int],
    recent_total: int,
    baseline_total: int,
    *,
    min_count: int = 5,
    min_ratio: float = 2.0,
) -> list[Rising]:
    """The rising terms, strongest first. Totals are the windows' counts of uses (or of
    mentions, when counts are mentions holding the term)."""
    found = []
    scale = recent_total / baseline_total if baseline_total else 1.0
    for term, count in recent.items():
        if count < min_count:
            continue
        before = baseline.get(term, 0)
        ratio = count / ((before + SMOOTHING) * scale)
        if ratio < min_ratio:
            continue
        score = g2(count, before, recent_total, baseline_total)
        if score >= SIGNIFICANT:
            found.append(Rising(term, count, before, ratio, score))
    found.sort(key=lambda r: (-r.score, r.term))
    return found
