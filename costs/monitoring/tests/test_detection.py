"""The model on crafted series: what it must find, and what it must leave alone."""

from __future__ import annotations

import math
import random

from costs.monitoring.detection import DetectorSettings, detect


def _series(
    days: int, *, level: float = 100.0, noise: float = 0.05, seed: int = 7, weekend: float = 1.0
) -> list[float]:
    rng = random.Random(seed)
    values = []
    for t in range(days):
        shape = weekend if t % 7 in (5, 6) else 1.0
        values.append(round(level * shape * math.exp(rng.gauss(0, noise)), 2))
    return values


def test_a_spike_is_found_on_its_day() -> None:
    values = _series(120)
    values[90] *= 3
    events = detect(values).events
    assert [(e.start, e.detected) for e in events] == [(90, 90)]
    assert events[0].expected(90) == __import__("pytest").approx(100, rel=0.1)


def test_a_level_shift_is_alerted_once_and_the_baseline_moves_on() -> None:
    values = _series(200)
    for t in range(100, 200):
        values[t] *= 1.8
    events = detect(values).events
    assert len(events) == 1
    assert events[0].start == 100 and events[0].confirmed_change
    assert not events[0].ongoing  # ended: the new level became the baseline


def test_a_weekly_pattern_is_not_alerted() -> None:
    assert detect(_series(200, weekend=0.3)).events == []


def test_benign_growth_is_not_alerted() -> None:
    values = [v * (1.06 ** (t / 30)) for t, v in enumerate(_series(300))]
    assert detect(values).events == []


def test_a_slow_ramp_is_found_while_it_climbs() -> None:
    values = _series(200)
    for t in range(100, 200):
        values[t] *= 1 + 1.0 * min(1.0, (t - 99) / 25)
    events = detect(values).events
    assert len(events) == 1
    assert 100 <= events[0].detected <= 125


def test_a_series_with_too_short_a_history_is_not_judged() -> None:
    values = _series(20)
    values[15] *= 10
    detection = detect(values)
    assert detection.events == [] and detection.expected == [None] * 20


def test_missing_days_are_not_judged_nor_taken_for_zero() -> None:
    values: list[float | None] = list(_series(120))
    for t in range(60, 65):
        values[t] = None
    detection = detect(values)
    assert detection.events == []
    assert detection.expected[66] is not None and detection.expected[66] > 80


def test_a_drop_in_spend_is_not_an_anomaly() -> None:
    values = _series(150)
    for t in range(90, 150):
        values[t] *= 0.4
    assert detect(values).events == []


def test_the_money_floor_keeps_small_increases_quiet() -> None:
    values = _series(120, level=10)
    values[90] *= 3  # +$20 on a $10 series
    assert len(detect(values).events) == 1
    assert detect(values, DetectorSettings(min_daily_impact=50)).events == []
