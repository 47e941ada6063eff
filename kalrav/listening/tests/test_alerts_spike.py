"""The spike model on its own: injected spikes fire, seasonal peaks and noise do not."""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path

from kalrav.listening.alerts import spike

H = spike.HOURS_PER_WEEK


def _rng(seed: int) -> random.Random:
    return random.Random(seed)  # noqa: S311 - repeatable test data, not a secret


def _weeks(rng: random.Random, weeks: int = 6) -> list[int]:
    """Hourly counts with a strong weekly peak: Tuesday 11:00 holds 60, other hours about 4."""
    counts = []
    for hour in range(weeks * H):
        usual = 60 if hour % H == 35 else 4
        counts.append(max(0, usual + rng.randint(-2, 2)))
    return counts


def test_the_weekly_peak_is_expected_and_does_not_fire():
    history = _weeks(_rng(1))
    # The next hour is the peak hour of the week again (6 weeks = 1008 hours; 1008 % 168 == 0).
    history += [4] * 35
    base = spike.baseline(history)
    assert base.expected > 40
    assert not spike.is_spike(62, [(base, 60)])


def test_the_same_volume_at_an_ordinary_hour_fires():
    history = _weeks(_rng(1)) + [4] * 40
    base = spike.baseline(history)
    assert base.expected < 8
    assert spike.is_spike(62, [(base, 60)])


def test_a_burst_in_ten_minutes_fires_before_the_hour_is_over():
    history = _weeks(_rng(2)) + [4] * 40
    base = spike.baseline(history)
    assert spike.is_spike(12, [(base, 10)])
    assert not spike.is_spike(3, [(base, 10)])


def test_below_the_minimum_count_nothing_fires_even_from_silence():
    base = spike.baseline([0] * (6 * H))
    assert not spike.is_spike(9, [(base, 10)])
    assert spike.is_spike(10, [(base, 10)])


def test_the_level_follows_a_brand_that_grew():
    history = _weeks(_rng(3))
    grown = [c * 3 for c in history[-48:]]
    base = spike.baseline(history[:-48] + grown)
    plain = spike.baseline(history)
    assert base.expected > 2 * plain.expected


def test_a_past_spike_does_not_raise_the_baseline():
    history = _weeks(_rng(4))
    history[-H] = 400  # last week, same hour: one wild value among six
    base = spike.baseline(history)
    assert base.expected < 8


def test_the_replay_finds_most_spikes_with_fewer_false_alarms_than_a_fixed_threshold():
    path = Path(__file__).resolve().parents[3] / "bench" / "listening_alerts.py"
    loaded = importlib.util.spec_from_file_location("listening_alerts_bench", path)
    bench = importlib.util.module_from_spec(loaded)
    sys.modules[loaded.name] = bench  # dataclasses look their module up while it loads
    loaded.loader.exec_module(bench)
    rng = _rng(7)
    settings = spike.SpikeSettings()
    detected = false_seasonal = false_naive = spikes = 0
    for _ in range(4):
        arrivals, hourly, truth = bench.history(rng, 8, 6, 3)
        spikes += len(truth)
        seasonal = bench.replay(arrivals, hourly, 6, bench.Seasonal(settings))
        naive = bench.replay(arrivals, hourly, 6, bench.Naive(settings))
        s, n = bench.score(seasonal, truth, 1), bench.score(naive, truth, 1)
        detected += round(s["detection_rate"] * len(truth))
        false_seasonal += s["false_alarms"]
        false_naive += n["false_alarms"]
    assert detected >= 0.8 * spikes
    assert false_seasonal < false_naive
