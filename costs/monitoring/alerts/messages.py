"""What an alert says: the series, the money, the percent, and the cause in one line each."""

from __future__ import annotations

from collections.abc import Sequence

from costs.monitoring.models import Anomaly, BudgetAlert
from costs.selectors import money_format

DIMENSION_LABELS = {
    "account": "account",
    "service": "service",
    "region": "region",
    "usage_type": "usage type",
    "resource": "resource",
}


def contributor_line(row: dict[str, object], currency: str) -> str:
    dimensions = row["dimensions"]
    assert isinstance(dimensions, dict)
    parts = ", ".join(f"{DIMENSION_LABELS.get(k, k)} {v}" for k, v in dimensions.items() if v)
    delta = money_format(__import__("decimal").Decimal(str(row["delta_daily"])), currency)
    return f"+{delta}/day from {parts or 'unlabelled spend'}"


def anomaly_text(anomaly: Anomaly, *, link: str) -> tuple[str, str]:
    """Subject and body for one anomaly."""
    impact = money_format(anomaly.impact_amount, anomaly.currency)
    subject = (
        f"[{anomaly.get_severity_display()}] {anomaly.label}: {impact} above expected (+{anomaly.impact_percent}%)"
    )
    lines = [
        f"{anomaly.get_kind_display()} on {anomaly.monitor.name}"
        + (f" / {anomaly.dimension_value}" if anomaly.dimension_value else ""),
        f"From {anomaly.start_day} to {anomaly.end_day}{' (ongoing)' if anomaly.ongoing else ''}: "
        f"spent {money_format(anomaly.actual_amount, anomaly.currency)}, "
        f"expected {money_format(anomaly.expected_amount, anomaly.currency)}.",
    ]
    if anomaly.root_cause:
        lines.append("Cause:")
        lines += [f"  {contributor_line(row, anomaly.currency)}" for row in anomaly.root_cause[:3]]
    lines.append(f"Details and feedback: {link}")
    return subject, "\n".join(lines)


def budget_text(alert: BudgetAlert, *, link: str) -> tuple[str, str]:
    budget = alert.budget
    what = "spent" if alert.basis == "actual" else "forecast to spend"
    amount = money_format(alert.amount, budget.currency)
    subject = f"Budget {budget.name}: {alert.threshold}% {'reached' if alert.basis == 'actual' else 'forecast'}"
    body = (
        f"{budget.name} ({money_format(budget.amount, budget.currency)} a month): {what} {amount} "
        f"in {alert.period:%B %Y}, {alert.threshold}% threshold crossed.\nBudgets: {link}"
    )
    return subject, body


def digest_text(anomalies: Sequence[Anomaly], alerts: Sequence[BudgetAlert], *, link: str) -> tuple[str, str]:
    subject = f"Cost digest: {len(anomalies)} new anomal{'y' if len(anomalies) == 1 else 'ies'}, {len(alerts)} budget alert{'s' * (len(alerts) != 1)}"
    lines = []
    for anomaly in anomalies:
        lines.append(anomaly_text(anomaly, link=f"{link}{anomaly.pk}/")[0])
    for alert in alerts:
        lines.append(budget_text(alert, link=link)[0])
    lines.append(f"All anomalies: {link}")
    return subject, "\n".join(lines)
