"""One billing period as the invoice shows it: billed total per charge category, per source and currency.

Read from the monthly resource summary, which keeps the bill's line item type beside the
charge category, so refunds (CUR's `Refund`, FOCUS's Credit lines) are told apart from other
credits and RI/Savings Plan fees are named inside purchases. Bill data only: a Cost Explorer
estimate is not an invoice. Amounts are per currency, never summed across currencies.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Sum

from costs.models import Delivery, MonthlyResourceCost
from costs.vocabulary import ChargeCategory

REFUND = "Refund"
# The invoice's order of charge categories (a refund is a credit of its own kind on the invoice).
INVOICE_ORDER: tuple[str, ...] = (
    ChargeCategory.USAGE,
    ChargeCategory.PURCHASE,
    ChargeCategory.TAX,
    ChargeCategory.CREDIT,
    REFUND,
    ChargeCategory.ADJUSTMENT,
)


@dataclass(frozen=True)
class CategoryTotal:
    category: str  # a charge category, or "Refund"
    amount: Decimal
    rows: int
    line_item_types: tuple[tuple[str, Decimal], ...]  # the bill's own line item types inside it ('' = none given)


@dataclass(frozen=True)
class DeliveryInfo:
    source_name: str
    source_kind: str
    delivery_key: str
    ingested_at: datetime.datetime
    job_id: int | None
    rows: int


@dataclass
class SourcePeriod:
    source_id: int
    source_name: str
    currency: str
    categories: list[CategoryTotal] = field(default_factory=list)
    delivery: DeliveryInfo | None = None

    @property
    def total(self) -> Decimal:
        return sum((c.amount for c in self.categories), Decimal(0))


def reconciliation_periods() -> list[datetime.date]:
    """Billing periods some bill was delivered for, newest first."""
    periods = Delivery.objects.values_list("billing_period", flat=True).distinct().order_by("-billing_period")
    return list(periods)


def _category(charge_category: str, line_item_type: str) -> str:
    if charge_category == ChargeCategory.CREDIT and line_item_type == REFUND:
        return REFUND
    return charge_category


def period_reconciliation(*, period: datetime.date) -> list[SourcePeriod]:
    """Billed cost of `period` per source, currency and charge category (in invoice order), each
    with the delivery it came from; [] when no bill covers the period."""
    rows = (
        MonthlyResourceCost.objects.filter(billing_period=period)
        .values("source_id", "source__name", "currency", "charge_category", "line_item_type")
        .annotate(amount=Sum("billed_cost"), rows=Sum("row_count"))
        .order_by()
    )
    grouped: dict[tuple[int, str], dict[str, dict[str, tuple[Decimal, int]]]] = {}
    names: dict[int, str] = {}
    for row in rows:
        names[row["source_id"]] = row["source__name"]
        per_category = grouped.setdefault((row["source_id"], row["currency"]), {})
        kinds = per_category.setdefault(_category(row["charge_category"], row["line_item_type"]), {})
        amount, count = kinds.get(row["line_item_type"], (Decimal(0), 0))
        kinds[row["line_item_type"]] = (amount + (row["amount"] or Decimal(0)), count + int(row["rows"] or 0))
    deliveries = {
        d.source_id: DeliveryInfo(
            d.source.name, d.source.get_kind_display(), d.delivery_key, d.ingested_at, d.job_id, d.rows
        )
        for d in Delivery.objects.filter(billing_period=period).select_related("source").order_by("ingested_at", "id")
    }  # the latest delivery of each source wins (ordered oldest first)
    out = []
    for (source_id, currency), per_category in sorted(grouped.items(), key=lambda i: (names[i[0][0]], i[0])):
        order = {c: i for i, c in enumerate(INVOICE_ORDER)}
        categories = [
            CategoryTotal(
                category=category,
                amount=sum((a for a, _n in kinds.values()), Decimal(0)),
                rows=sum(n for _a, n in kinds.values()),
                line_item_types=tuple(sorted((k, a) for k, (a, _n) in kinds.items())),
            )
            for category, kinds in sorted(per_category.items(), key=lambda i: (order.get(i[0], len(order)), i[0]))
        ]
        out.append(SourcePeriod(source_id, names[source_id], currency, categories, deliveries.get(source_id)))
    return out
