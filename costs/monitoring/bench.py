"""`make bench ONLY=anomaly` and `ONLY=anomaly_run_seconds`.

anomaly: the model and the naive rule ("today > N-day average + X%") on the same labelled
evaluation set (`costs.monitoring.evaluation.dataset`). The naive rule is grid-searched on
seed TUNE_SEED; the model's defaults were tuned by hand on that seed too; both are reported on
REPORT_SEED, which neither was tuned on.

anomaly_run_seconds: see `costs.monitoring.bench_run` (a full organization, real ingestion).
"""

from __future__ import annotations

import sys
import time
from typing import Any

from costs.monitoring.detection import detect
from costs.monitoring.evaluation.dataset import KINDS, generate
from costs.monitoring.evaluation.naive import naive_alerts, naive_tune
from costs.monitoring.evaluation.scoring import score

TUNE_SEED = 1
REPORT_SEED = 2
SERIES = 300


def _log(message: str) -> None:
    print(f"[bench anomaly] {message}", file=sys.stderr, flush=True)


def _figure(name: str, value: float, unit: str, baseline: float) -> dict[str, Any]:
    return {
        "bench": name,
        "value": round(value, 3),
        "unit": unit,
        "baseline": round(baseline, 3),
        "ratio": round(value / baseline, 3) if baseline else None,
    }


def run() -> list[dict[str, Any]]:
    """F1, precision, recall and alerts per 100 series-months of the model, with the tuned naive rule as baseline."""
    rule, tuned = naive_tune(generate(seed=TUNE_SEED, count=SERIES))
    _log(f"naive rule tuned on seed {TUNE_SEED}: {rule.describe()} (F1 there {tuned.f1:.3f})")
    dataset = generate(seed=REPORT_SEED, count=SERIES)
    started = time.perf_counter()
    model_alerts = [[event.detected for event in detect(series.values).events] for series in dataset]
    _log(f"model over {SERIES} series on seed {REPORT_SEED}: {time.perf_counter() - started:.1f} s")
    naive = [naive_alerts(series.values, rule) for series in dataset]
    ours, theirs = score(dataset, model_alerts), score(dataset, naive)
    events = ours.found + ours.missed
    _log(f"{events} labelled anomalies, {ours.series_months:.0f} series-months")
    for kind in KINDS:
        _log(
            f"recall on {kind}: model {score(dataset, model_alerts, kinds={kind}).recall:.2f}, "
            f"naive {score(dataset, naive, kinds={kind}).recall:.2f}"
        )
    _log(f"false alerts: model {ours.false_alerts}, naive {theirs.false_alerts}")
    return [
        _figure("anomaly_f1", ours.f1, "F1", theirs.f1),
        _figure("anomaly_precision", ours.precision, "fraction", theirs.precision),
        _figure("anomaly_recall", ours.recall, "fraction", theirs.recall),
        _figure(
            "anomaly_alerts_per_100_series_months",
            ours.alerts_per_100_series_months,
            "alerts",
            theirs.alerts_per_100_series_months,
        ),
    ]
