"""False alarms of the spike model on a replayed history, beside a naive fixed threshold.
Last line: one JSON object.

A synthetic but realistic history per monitor: a level from a few mentions a day to ~60 an hour,
a daily curve (quiet nights, a lunchtime and an evening peak), quieter weekends, a weekly
campaign peak (Tuesday 11:00, three times the usual), a slow drift, negative-binomial noise
(bursty, as replies and reposts make it), and a few injected spikes (4-10x the hour, 30 min to
4 h) in the scored weeks. Arrivals are spread over each hour and replayed one by one into the
same detector Kalrav runs on arrival (the last 10 and 60 minutes against the baseline of the
hour, `kalrav.listening.alerts.spike`), with the same cooldown: one alert per episode.

Scored: detection rate (spikes alerted while they last), median minutes from a spike's start to
its alert, and false alarms (alerts outside every spike) per monitor-week. The naive detector
fires when the last 60 minutes hold three times the monitor's mean hourly count of the last four
weeks (and at least the same minimum count).
"""

from __future__ import annotations

import argparse
import bisect
import json
import math
import os
import random
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
# The model is pure Python, but its package also holds the alert models: Django must be set up.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kalrav.settings")
os.environ.setdefault("KALRAV_DATA_DIR", tempfile.mkdtemp(prefix="kalrav-bench-"))
django.setup()

from kalrav.listening.alerts import spike  # noqa: E402 - after django.setup()

H = spike.HOURS_PER_WEEK
COOLDOWN_MIN = 180
WINDOWS = (10, 60)


@dataclass
class Spike:
    start: float  # minutes since the history began
    end: float


def _shape(hour: int) -> float:
    """Mentions of an hour of the week relative to the average hour."""
    day, h = divmod(hour % H, 24)
    daily = 0.15 + math.exp(-((h - 13) ** 2) / 8) + 1.2 * math.exp(-((h - 20) ** 2) / 6)
    weekend = 0.6 if day >= 5 else 1.0
    campaign = 3.0 if (day == 1 and h == 11) else 1.0
    return daily * weekend * campaign


def _negbin(rng: random.Random, mean: float, size: float = 4.0) -> int:
    """Negative binomial as a gamma-Poisson mixture: variance mean + mean^2/size."""
    if mean <= 0:
        return 0
    lam = rng.gammavariate(size, mean / size)
    # Poisson by inversion for small means, normal approximation for large ones.
    if lam > 50:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def history(rng: random.Random, weeks: int, scored_from: int, spikes: int):
    level = math.exp(rng.uniform(math.log(0.2), math.log(40)))
    drift = rng.uniform(-0.3, 0.3) / (weeks * H)
    mean_shape = statistics.fmean(_shape(h) for h in range(H))
    arrivals: list[float] = []
    hourly: list[int] = []
    truth: list[Spike] = []
    for _ in range(spikes):
        start_h = rng.randrange(scored_from * H, weeks * H - 5)
        truth.append(Spike(start_h * 60 + rng.uniform(0, 60), 0))
    for s in truth:
        s.end = s.start + rng.uniform(30, 240)
    for hour in range(weeks * H):
        mean = level * math.exp(drift * hour) * _shape(hour) / mean_shape
        n = _negbin(rng, mean)
        times = [hour * 60 + rng.uniform(0, 60) for _ in range(n)]
        for s in truth:
            overlap = min(s.end, (hour + 1) * 60) - max(s.start, hour * 60)
            if overlap > 0:
                extra_rate = max(mean, 2.0) * rng.uniform(4, 10) / 60
                extra = _negbin(rng, extra_rate * overlap, size=20)
                lo = max(s.start, hour * 60)
                times += [lo + rng.uniform(0, overlap) for _ in range(extra)]
        times.sort()
        arrivals += times
        hourly.append(len(times))
    return arrivals, hourly, truth


def replay(arrivals, hourly, scored_from, detector) -> list[float]:
    """Alert times (minutes) for arrivals in the scored weeks, one per episode."""
    alerts: list[float] = []
    last = -1e9
    start = bisect.bisect_left(arrivals, scored_from * H * 60)
    cache: dict[int, object] = {}

    def base(hour):
        if hour not in cache:
            cache[hour] = detector.baseline(hourly[:hour])
        return cache[hour]

    for i in range(start, len(arrivals)):
        t = arrivals[i]
        if t - last < COOLDOWN_MIN:
            continue
        hour = int(t // 60)
        into = t - hour * 60
        for minutes in WINDOWS:
            count = i + 1 - bisect.bisect_left(arrivals, t - minutes)
            parts = [(base(hour), min(minutes, into))]
            if minutes > into:
                parts.append((base(hour - 1), minutes - into))
            if detector.fires(count, minutes, parts):
                alerts.append(t)
                last = t
                break
    return alerts


class Seasonal:
    def __init__(self, settings):
        self.settings = settings

    def baseline(self, past):
        return spike.baseline(past, self.settings)

    def fires(self, count, minutes, parts):
        return spike.is_spike(count, parts, self.settings)


class Naive:
    """Three times the mean hourly count of the last four weeks, over the last hour."""

    def __init__(self, settings):
        self.settings = settings

    def baseline(self, past):
        recent = past[-4 * H :]
        return statistics.fmean(recent) if recent else 0.0

    def fires(self, count, minutes, parts):
        return minutes == 60 and count >= self.settings.min_count and count >= 3 * parts[0][0]


def score(alerts, truth, monitor_weeks):
    detected, delays, false = 0, [], 0
    for s in truth:
        hits = [a for a in alerts if s.start <= a <= s.end + 10]
        if hits:
            detected += 1
            delays.append(hits[0] - s.start)
    for a in alerts:
        if not any(s.start <= a <= s.end + COOLDOWN_MIN for s in truth):
            false += 1
    return {
        "detection_rate": round(detected / max(1, len(truth)), 3),
        "median_minutes_to_alert": round(statistics.median(delays), 1) if delays else None,
        "false_alarms_per_monitor_week": round(false / monitor_weeks, 3),
        "false_alarms": false,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--monitors", type=int, default=40)
    parser.add_argument("--weeks", type=int, default=10)
    parser.add_argument("--warmup-weeks", type=int, default=6)
    parser.add_argument("--spikes", type=int, default=3, help="per monitor, in the scored weeks")
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--z", type=float, default=spike.SpikeSettings.z)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    settings = spike.SpikeSettings(z=args.z)
    results = {"seasonal": ([], []), "naive": ([], [])}
    truths = []
    for _ in range(args.monitors):
        arrivals, hourly, truth = history(rng, args.weeks, args.warmup_weeks, args.spikes)
        truths.append(truth)
        for name, detector in (
            ("seasonal", Seasonal(settings)),
            ("naive", Naive(settings)),
        ):
            alerts = replay(arrivals, hourly, args.warmup_weeks, detector)
            results[name][0].append(alerts)
    monitor_weeks = args.monitors * (args.weeks - args.warmup_weeks)
    out = {
        "benchmark": "listening_alerts",
        "monitors": args.monitors,
        "scored_weeks": args.weeks - args.warmup_weeks,
        "spikes": sum(map(len, truths)),
        "seed": args.seed,
        "model": "seasonal median+MAD by hour of week, EWMA level, 10/60 min windows",
    }
    for name in results:
        merged = {"detected": 0, "delays": [], "false": 0}
        for alerts, truth in zip(results[name][0], truths, strict=True):
            s = score(alerts, truth, 1)
            merged["detected"] += round(s["detection_rate"] * len(truth))
            merged["false"] += s["false_alarms"]
            if s["median_minutes_to_alert"] is not None:
                merged["delays"] += [
                    next(a for a in alerts if sp.start <= a <= sp.end + 10) - sp.start
                    for sp in truth
                    if any(sp.start <= a <= sp.end + 10 for a in alerts)
                ]
        out[name] = {
            "detection_rate": round(merged["detected"] / max(1, out["spikes"]), 3),
            "median_minutes_to_alert": round(statistics.median(merged["delays"]), 1)
            if merged["delays"]
            else None,
            "false_alarms_per_monitor_week": round(merged["false"] / monitor_weeks, 3),
        }
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
