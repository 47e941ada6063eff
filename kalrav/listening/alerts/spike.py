"""Volume spikes against a monitor's own seasonal baseline.

Model: a robust seasonal baseline with a level correction, tested with an overdispersed
(negative-binomial-like) score.

- Seasonal part: the median of the same hour of the week over the last `weeks` weeks (six by
  default). Mentions follow the week (office hours, evenings, the weekend), so Monday 10:00 is
  compared with earlier Mondays at 10:00, never with Sunday night. The median, not the mean, so a
  past spike or outage in one of those weeks does not move the baseline.
- Level: an EWMA of log((count + 1) / (seasonal + 1)) over the last two days, each step clipped
  to a factor of three, so a brand that grows (or a quiet holiday week) moves the expectation
  within a day while one spike cannot drag the baseline up behind it.
- Spread: the counts are overdispersed (bursts of replies, a viral repost), so the variance is
  the Poisson part (the expectation) plus the square of the larger of two robust deviations:
  that hour of the week's (1.4826 x MAD of its six values) and the monitor's own burstiness
  pooled over the last week of hours (the MAD of log(count / seasonal), the coefficient of
  variation of multiplicative noise, as in a negative binomial). A plain Poisson test fires on
  every busy evening; a plain z-score never fires for a monitor that usually hears nothing.
- Decision: a window fires when it holds at least `min_count` mentions, at least `ratio` times
  the expectation, and a score (count - expected) / sqrt(variance) of at least `z` (6: on the
  replayed history, 4 gave two false alarms a monitor-week, 6 under one in two, same detection).
- Short windows: the same test runs on the last 10 minutes (expectation and spread scaled to the
  window), on every arrival, so a spike is caught seconds after its `min_count`-th post; the
  last 60 minutes catch a slower rise.

Its false alarms are measured on a replayed history by `bench/listening_alerts.py`, beside a
fixed threshold that fires on every seasonal peak.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median

HOURS_PER_WEEK = 168
# A monitor that has heard nothing yet still expects a little: the first mentions of a quiet
# brand are a spike only when they pass `min_count`.
FLOOR = 0.05
_LEVEL_HOURS = 48
_NOISE_HOURS = HOURS_PER_WEEK
_LEVEL_ALPHA = 0.1
_LEVEL_CLIP = math.log(3)
_MAD_TO_SD = 1.4826


@dataclass(frozen=True)
class SpikeSettings:
    weeks: int = 6
    min_count: int = 10
    ratio: float = 2.0
    z: float = 6.0


@dataclass(frozen=True)
class Baseline:
    """What an hour is expected to hold: mentions per hour, and the robust spread around it."""

    expected: float
    spread: float
    # Whether the monitor heard anything more than a week before: without that there is no
    # same hour of an earlier week to compare with, the expectation is the floor, and a window
    # fires as soon as it holds `min_count` mentions.
    seasonal: bool = True


# A window's share of each hour it covers: (that hour's baseline, minutes of it in the window).
# A rolling window straddles two hours, and the evening's baseline must not judge the
# afternoon's mentions.
Parts = Sequence[tuple[Baseline, float]]


def expectation(parts: Parts) -> tuple[float, float]:
    """Expectation and variance of a window: Poisson for the mean, plus the hours' spreads,
    added as if fully correlated (a busy hour is busy throughout)."""
    mean = sum(base.expected * minutes / 60 for base, minutes in parts)
    spread = sum(base.spread * minutes / 60 for base, minutes in parts)
    return mean, mean + spread**2


def _seasonal(counts: Sequence[int], at: int, weeks: int) -> tuple[float, float]:
    """Median and MAD of the same hour of the week before index `at`."""
    same = [
        counts[at - HOURS_PER_WEEK * k] for k in range(1, weeks + 1) if at - HOURS_PER_WEEK * k >= 0
    ]
    if not same:
        return 0.0, 0.0
    mid = median(same)
    return float(mid), float(median(abs(v - mid) for v in same))


def baseline(counts: Sequence[int], settings: SpikeSettings = SpikeSettings()) -> Baseline:
    """The baseline for the hour that follows `counts` (consecutive hourly counts, oldest
    first, the newest complete hour last)."""
    at = len(counts)
    seasonal, mad = _seasonal(counts, at, settings.weeks)
    level = 0.0
    residuals = []
    for i in range(max(0, at - _NOISE_HOURS), at):
        past, _ = _seasonal(counts, i, settings.weeks)
        step = math.log((counts[i] + 1) / (past + 1))
        residuals.append(step)
        if i >= at - _LEVEL_HOURS:
            level += _LEVEL_ALPHA * (max(-_LEVEL_CLIP, min(_LEVEL_CLIP, step)) - level)
    factor = math.exp(level)
    expected = max(FLOOR, (seasonal + 1) * factor - 1)
    # The monitor's own burstiness, pooled over a week of hours (six values of one hour of the
    # week are too few to say how wild its tail is): the robust spread of log-ratios is the
    # coefficient of variation of multiplicative noise, as in a negative binomial.
    if residuals:
        mid = median(residuals)
        burst = _MAD_TO_SD * median(abs(r - mid) for r in residuals)
    else:
        burst = 0.0
    spread = max(_MAD_TO_SD * mad * factor, burst * expected)
    seasonal_history = any(counts[: max(0, at - HOURS_PER_WEEK)])
    return Baseline(expected=expected, spread=spread, seasonal=seasonal_history)


def seasonal(parts: Parts) -> bool:
    """Whether every hour of the window has a seasonal baseline."""
    return all(getattr(base, "seasonal", True) for base, _minutes in parts)


def score(count: int, parts: Parts) -> float:
    mean, variance = expectation(parts)
    return (count - mean) / math.sqrt(max(variance, FLOOR))


def is_spike(count: int, parts: Parts, settings: SpikeSettings = SpikeSettings()) -> bool:
    mean, _ = expectation(parts)
    return (
        count >= settings.min_count
        and count >= settings.ratio * mean
        and score(count, parts) >= settings.z
    )
