"""The rule most tools ship: alert when today exceeds the average of the last N days by more than X%.

Given the same alert grouping as the model (flagged days closer than `merge_gap_days` are one
alert), and tuned fairly: a grid search over N, X and the gap on a separate seed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from costs.monitoring.evaluation.dataset import LabelledSeries
from costs.monitoring.evaluation.scoring import Score, score


@dataclass(frozen=True)
class NaiveRule:
    days: int
    percent: float
    merge_gap_days: int

    def describe(self) -> str:
        return f"today > {self.days}-day average + {self.percent:.0%} (gap {self.merge_gap_days})"


def naive_alerts(values: Sequence[float], rule: NaiveRule) -> list[int]:
    """Days on which the rule raises a new alert."""
    alerts: list[int] = []
    last_flagged = None
    window_sum = sum(values[: rule.days])
    for t in range(rule.days, len(values)):
        average = window_sum / rule.days
        if values[t] > average * (1 + rule.percent) and values[t] > 0:
            if last_flagged is None or t - last_flagged > rule.merge_gap_days:
                alerts.append(t)
            last_flagged = t
        window_sum += values[t] - values[t - rule.days]
    return alerts


GRID = [
    NaiveRule(days, percent, gap)
    for days in (7, 14, 30)
    for percent in (0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0)
    for gap in (0, 7)
]


def naive_tune(dataset: Sequence[LabelledSeries]) -> tuple[NaiveRule, Score]:
    """The grid's best rule by F1 on `dataset` (use a different seed from the one reported)."""
    best: tuple[NaiveRule, Score] | None = None
    for rule in GRID:
        result = score(dataset, [naive_alerts(series.values, rule) for series in dataset])
        if best is None or result.f1 > best[1].f1:
            best = (rule, result)
    assert best is not None
    return best
