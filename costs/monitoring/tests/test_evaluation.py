"""The evaluation set is reproducible from its seed, and scoring counts events as NAB does."""

from __future__ import annotations

import datetime

from costs.monitoring.evaluation.dataset import LabelledEvent, LabelledSeries, generate
from costs.monitoring.evaluation.naive import NaiveRule, naive_alerts
from costs.monitoring.evaluation.scoring import score


def test_the_same_seed_gives_the_same_set_and_another_seed_another() -> None:
    first, again, other = generate(seed=5, count=3), generate(seed=5, count=3), generate(seed=6, count=3)
    assert [s.values for s in first] == [s.values for s in again]
    assert [s.values for s in first] != [s.values for s in other]
    assert all(182 <= len(s.values) <= 365 for s in first)


def test_one_alert_inside_a_window_finds_it_and_alerts_outside_are_false() -> None:
    series = LabelledSeries("x", datetime.date(2025, 1, 1), [1.0] * 100, [LabelledEvent("spike", 50, 53)])
    result = score([series], [[10, 51, 52]])
    assert (result.found, result.missed, result.false_alerts, result.alerts) == (1, 0, 1, 3)
    assert result.precision == 0.5 and result.recall == 1.0
    assert score([series], [[60]]).recall == 0.0


def test_the_naive_rule_alerts_above_its_average() -> None:
    values = [10.0] * 20 + [16.0] + [10.0] * 5 + [30.0]
    assert naive_alerts(values, NaiveRule(days=7, percent=0.5, merge_gap_days=0)) == [20, 26]
    assert naive_alerts(values, NaiveRule(days=7, percent=0.5, merge_gap_days=7)) == [20]
