"""Cost Explorer: daily cost per service and linked account, one page per call.

Each GetCostAndUsage call (page) costs the customer $0.01, so pagination is left to the
caller, which counts pages against the organization's monthly request quota and caches them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from botocore.exceptions import BotoCoreError, ClientError

from finops.aws import Credentials, call_error, client

METRICS = ("UnblendedCost", "AmortizedCost", "NetUnblendedCost", "NetAmortizedCost")


@dataclass(frozen=True)
class CostExplorerRow:
    day: date
    service: str
    account_id: str
    currency: str
    unblended: Decimal
    amortized: Decimal
    net_unblended: Decimal
    net_amortized: Decimal
    estimated: bool


@dataclass(frozen=True)
class CostExplorerPage:
    rows: list[CostExplorerRow]
    next_token: str


def _amount(metrics: dict[str, dict[str, str]], name: str) -> tuple[Decimal, str]:
    # Amounts arrive as decimal strings; Decimal(str) keeps every digit (never float).
    metric = metrics.get(name) or {}
    return Decimal(metric.get("Amount") or "0"), metric.get("Unit") or ""


def get_cost_and_usage_page(
    *, credentials: Credentials, start: date, end: date, next_token: str = ""
) -> CostExplorerPage:
    """One page of DAILY costs in [start, end) grouped by SERVICE and LINKED_ACCOUNT."""
    request = {
        "TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()},
        "Granularity": "DAILY",
        "Metrics": list(METRICS),
        "GroupBy": [{"Type": "DIMENSION", "Key": "SERVICE"}, {"Type": "DIMENSION", "Key": "LINKED_ACCOUNT"}],
    }
    if next_token:
        request["NextPageToken"] = next_token
    try:
        response = client("ce", credentials).get_cost_and_usage(**request)
    except (ClientError, BotoCoreError) as error:
        raise call_error("ce:GetCostAndUsage", error) from error
    rows: list[CostExplorerRow] = []
    for period in response.get("ResultsByTime", []):
        day = date.fromisoformat(period["TimePeriod"]["Start"])
        estimated = bool(period.get("Estimated", False))
        for group in period.get("Groups", []):
            keys = list(group.get("Keys", [])) + ["", ""]
            metrics = group.get("Metrics", {})
            unblended, currency = _amount(metrics, "UnblendedCost")
            amortized, _ = _amount(metrics, "AmortizedCost")
            net_unblended, _ = _amount(metrics, "NetUnblendedCost")
            net_amortized, _ = _amount(metrics, "NetAmortizedCost")
            rows.append(
                CostExplorerRow(
                    day=day,
                    service=keys[0],
                    account_id=keys[1],
                    currency=currency or "USD",
                    unblended=unblended,
                    amortized=amortized,
                    net_unblended=net_unblended,
                    net_amortized=net_amortized,
                    estimated=estimated,
                )
            )
    return CostExplorerPage(rows=rows, next_token=str(response.get("NextPageToken") or ""))
