"""Event-level precision, recall and F1, counted as NAB counts detections.

An anomaly is found when at least one alert falls inside its window; further alerts inside
the same window are neither credit nor penalty (NAB keeps only the first). An alert outside
every window is a false positive. Alerts per 100 series-months counts every alert, so a
detector that repeats itself inside a window still shows it there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from costs.monitoring.evaluation.dataset import LabelledSeries


@dataclass(frozen=True)
class Score:
    found: int
    missed: int
    false_alerts: int
    alerts: int
    series_months: float

    @property
    def precision(self) -> float:
        flagged = self.found + self.false_alerts
        return self.found / flagged if flagged else 0.0

    @property
    def recall(self) -> float:
        events = self.found + self.missed
        return self.found / events if events else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def alerts_per_100_series_months(self) -> float:
        return 100 * self.alerts / self.series_months if self.series_months else 0.0


def score(
    dataset: Sequence[LabelledSeries], alerts: Sequence[Sequence[int]], *, kinds: set[str] | None = None
) -> Score:
    """Score alert days (one list per series, in dataset order); `kinds` narrows recall to some anomaly kinds."""
    found = missed = false_alerts = total = 0
    for series, days in zip(dataset, alerts, strict=True):
        total += len(days)
        windows = [(e.start, e.window_end, e.kind) for e in series.events]
        for start, end, kind in windows:
            if kinds is not None and kind not in kinds:
                continue
            if any(start <= day <= end for day in days):
                found += 1
            else:
                missed += 1
        false_alerts += sum(1 for day in days if not any(start <= day <= end for start, end, _ in windows))
    months = sum(series.months for series in dataset)
    return Score(found=found, missed=missed, false_alerts=false_alerts, alerts=total, series_months=months)
