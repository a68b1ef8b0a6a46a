"""Reads of recommendations for pages, the API and the rationale writer."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from recommendations.ai.types import CandidateBrief
from recommendations.models import AiCallLog, Recommendation, RecommendationRun, Status

# Statuses a rationale is still useful for (nobody reads advice on dismissed or done work).
NEEDS_ADVICE = (Status.OPEN, Status.IN_PROGRESS, Status.SNOOZED)
FILTERS = ("category", "account", "status", "effort")


def brief_id(recommendation: Recommendation) -> str:
    return f"r{recommendation.pk}"


def brief_of(recommendation: Recommendation) -> CandidateBrief:
    """The recommendation as the model may see it (see CandidateBrief for what is left out)."""
    return CandidateBrief(
        id=brief_id(recommendation),
        detector=recommendation.detector,
        category=recommendation.category,
        title=recommendation.title,
        resource_type=recommendation.resource_type,
        resource_id=recommendation.resource_id,
        account_id=recommendation.account_id,
        region=recommendation.region,
        currency=recommendation.currency,
        monthly_cost=f"{recommendation.monthly_cost.quantize(Decimal('0.01')):f}",
        monthly_savings=f"{recommendation.monthly_savings.quantize(Decimal('0.01')):f}",
        savings_method=recommendation.savings_method,
        confidence=recommendation.confidence,
        confirm_with=recommendation.confirm_with,
        effort=recommendation.effort,
        facts={str(k): str(v) for k, v in (recommendation.facts or {}).items()},
    )


def rationale_todo(*, provider: str) -> tuple[list[Recommendation], int]:
    """Active recommendations whose rationale is missing or stale for `provider`, and how many are cached.

    Cached = written for the current evidence fingerprint by this provider (or by the AI, which
    the offline provider never overwrites).
    """
    candidates = Recommendation.objects.filter(is_active=True, status__in=NEEDS_ADVICE).order_by(
        "-monthly_savings", "id"
    )
    todo, cached = [], 0
    acceptable = {"ai"} if provider == "bedrock" else {"ai", "offline"}
    for recommendation in candidates:
        fresh = recommendation.rationale_fingerprint == recommendation.evidence_fingerprint
        if fresh and recommendation.rationale_source in acceptable:
            cached += 1
        else:
            todo.append(recommendation)
    return todo, cached


@dataclass(frozen=True)
class ListFilters:
    category: str = ""
    account: str = ""
    status: str = "active"  # active = open, in progress, snoozed; or one status; or "all"
    effort: str = ""

    @classmethod
    def from_query(cls, query: Any) -> ListFilters:
        return cls(**{name: str(query.get(name, "") or "") for name in FILTERS if query.get(name)})


def _status_filter(status: str, today: datetime.date) -> Q:
    snooze_over = Q(status=Status.SNOOZED, snoozed_until__lte=today)
    if status == "all":
        return Q()
    if status == "active":
        return Q(status__in=(Status.OPEN, Status.IN_PROGRESS)) | snooze_over
    if status == Status.OPEN:
        return Q(status=Status.OPEN) | snooze_over
    if status == Status.SNOOZED:
        return Q(status=Status.SNOOZED) & ~snooze_over
    return Q(status=status)


def recommendations_list(
    *,
    filters: ListFilters,
    today: datetime.date | None = None,
    recommendations: QuerySet[Recommendation] | None = None,
) -> QuerySet[Recommendation]:
    """Recommendations (all, or the given queryset) still found by the detectors (and done ones, for realized
    savings), largest savings first."""
    today = today or timezone.now().date()
    rows = Recommendation.objects.all() if recommendations is None else recommendations
    rows = rows.filter(Q(is_active=True) | Q(status=Status.DONE))
    rows = rows.filter(_status_filter(filters.status, today))
    if filters.category:
        rows = rows.filter(category=filters.category)
    if filters.account:
        rows = rows.filter(account_id=filters.account)
    if filters.effort:
        rows = rows.filter(effort=filters.effort)
    return rows.order_by("-monthly_savings", "id")


def savings_summary(*, rows: QuerySet[Recommendation]) -> dict[str, Any]:
    """Total potential monthly savings of the rows (per currency), and the part not of low confidence."""
    unordered = rows.order_by()  # an ordering would join the GROUP BY
    totals = unordered.values("currency").annotate(total=Sum("monthly_savings")).order_by("currency")
    confident = unordered.exclude(confidence="low").values("currency").annotate(total=Sum("monthly_savings"))
    confident_by_currency = {row["currency"]: row["total"] for row in confident}
    return {
        "totals": [
            {
                "currency": row["currency"],
                "total": row["total"] or Decimal(0),
                "confident": confident_by_currency.get(row["currency"]) or Decimal(0),
            }
            for row in totals
        ],
        "count": rows.count(),
    }


def filter_choices() -> dict[str, list[str]]:
    active = Recommendation.objects.filter(Q(is_active=True) | Q(status=Status.DONE))
    return {
        "accounts": sorted({a for a in active.values_list("account_id", flat=True).distinct() if a}),
    }


def recommendations_with_details() -> QuerySet[Recommendation]:
    """Recommendations with their evidence and history (the schema scopes them to the organization)."""
    return Recommendation.objects.prefetch_related("evidence", "history")


def recommendation_get(*, recommendation_id: int) -> Recommendation:
    """One recommendation of this organization; raises DoesNotExist."""
    return recommendations_with_details().get(pk=recommendation_id)


def ai_logs(*, limit: int = 200) -> QuerySet[AiCallLog]:
    return AiCallLog.objects.select_related("run").order_by("-created_at", "-id")[:limit]


def ai_usage_this_month(*, today: datetime.date | None = None) -> dict[str, Any]:
    """Tokens and estimated cost of this calendar month's model calls (the monthly budget counts these)."""
    today = today or timezone.now().date()
    start = datetime.datetime(today.year, today.month, 1, tzinfo=datetime.UTC)
    # CountTokens rows record what was counted, not spent.
    spent = AiCallLog.objects.filter(created_at__gte=start).exclude(operation="count_tokens")
    sums = spent.aggregate(
        input=Sum("input_tokens"),
        output=Sum("output_tokens"),
        cache_read=Sum("cache_read_tokens"),
        cache_write=Sum("cache_write_tokens"),
        cost=Sum("estimated_cost"),
    )
    return {key: value or 0 for key, value in sums.items()}


def last_runs(*, limit: int = 5) -> QuerySet[RecommendationRun]:
    return RecommendationRun.objects.order_by("-started_at", "-id")[:limit]


@dataclass(frozen=True)
class Realized:
    """What a done recommendation saved: the cost before versus the cost since, both per month."""

    before: Decimal | None
    after: Decimal | None
    realized: Decimal | None
    days_after: int
    note: str = ""


def _usage_prefixes(recommendation: Recommendation) -> list[str]:
    types = {line.usage_type for line in recommendation.evidence.all() if line.usage_type}
    return sorted({usage_type.split(":", 1)[0] for usage_type in types})


def realized_savings(*, recommendations: list[Recommendation]) -> dict[int, Realized]:
    """Per done recommendation: its resources' monthly cost when marked done versus since the day after."""
    from costs.selectors import resources as bill

    last = bill.usage_last_day()
    found: dict[int, Realized] = {}
    for recommendation in recommendations:
        if recommendation.status != Status.DONE or recommendation.done_at is None:
            continue
        before = recommendation.baseline_monthly_cost
        if recommendation.category == "commitments":
            found[recommendation.pk] = Realized(
                before, None, None, 0, "commitments show up in coverage and utilization, not in one resource's cost"
            )
            continue
        start = recommendation.done_at.date() + datetime.timedelta(days=1)
        if last is None or last < start or before is None:
            found[recommendation.pk] = Realized(before, None, None, 0, f"waiting for the bill after {start:%Y-%m-%d}")
            continue
        days = (last - start).days + 1
        cost = bill.resources_cost(
            resource_ids=[recommendation.resource_id],
            start=start,
            end=last,
            usage_type_prefixes=_usage_prefixes(recommendation) or None,
        ).get(recommendation.resource_id, Decimal(0))
        after = (cost * 730 / (days * 24)).quantize(Decimal("0.01"))
        found[recommendation.pk] = Realized(before, after, (before - after).quantize(Decimal("0.01")), days)
    return found


def realized_total(realized: dict[int, Realized]) -> Decimal:
    return sum((r.realized for r in realized.values() if r.realized is not None), Decimal(0))


def explorer_url(*, resource_id: str, start: datetime.date, end: datetime.date, usage_type: str = "") -> str:
    """The cost explorer (costs/explorer) on this evidence: the resource's effective cost per day over
    the period, by usage type (`/costs/?start=…&end=…&granularity=day&group_by=usage_type&include.resource_id=…`)."""
    from urllib.parse import urlencode

    params: list[tuple[str, str]] = [
        ("start", f"{start:%Y-%m-%d}"),
        ("end", f"{end:%Y-%m-%d}"),
        ("granularity", "day"),
        ("group_by", "usage_type"),
        ("basis", "effective_cost"),
    ]
    if resource_id:
        params.append(("include.resource_id", resource_id))
    if usage_type:
        params.append(("include.usage_type", usage_type))
    return "/costs/?" + urlencode(params)
