"""Estimates from the AWS Cost Explorer API: daily cost per service and account until the first bill (CUR) arrives.

Every GetCostAndUsage page costs the customer $0.01, so pages are counted per organization
and month against a request quota, COST_EXPLORER_MONTHLY_REQUEST_QUOTA (in the cache, whose keys carry the
schema name) and identical requests are answered from the cache. Days a bill already covers
are never estimated; ingest drops estimates for days a bill later covers, and once the
export's reports cover a billing period, `estimates_retire` drops that period's estimates
whole (the report is the bill of record for the month) and removes the estimates source
when nothing of it is left.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from costs.answers import bill_changed
from costs.models import CostSource, DailyCostRollup, Delivery, LinkedAccount, SourceKind
from costs.vocabulary import ChargeCategory
from finops.aws import Credentials
from finops.aws import cost_explorer as aws_ce

log = logging.getLogger(__name__)

PAGE_CACHE_SECONDS = 6 * 3600
QUOTA_KEY_SECONDS = 40 * 24 * 3600
# A runaway NextPageToken loop must not spend the whole request quota in one go.
MAX_PAGES_PER_FILL = 50


class CostExplorerQuotaExceeded(Exception):
    """This month's Cost Explorer request quota is used up; the message says so plainly."""


@dataclass(frozen=True)
class GapFillResult:
    days: int
    rows: int
    pages_requested: int
    pages_from_cache: int
    skipped_days: int


def _org_key() -> str:
    # The cache's key function prefixes the schema; the ExternalId is also unique per
    # organization ever created, so a re-created schema with the same name starts afresh.
    return str(connection.tenant.external_id)  # type: ignore[attr-defined]


def request_quota_key(month: date) -> str:
    # The stored key keeps the spelling it had before the rename ("ce-budget"), so the
    # counters of the month in progress survive the deploy that renamed it.
    return f"ce-budget:{_org_key()}:{month:%Y-%m}"


def request_quota_used(*, month: date | None = None) -> int:
    """Cost Explorer requests this organization made (were charged for) in `month` (default: this month)."""
    return int(cache.get(request_quota_key(month or timezone.now().date()), 0))


def _request_quota_spend_one() -> None:
    today = timezone.now().date()
    key = request_quota_key(today)
    cache.add(key, 0, QUOTA_KEY_SECONDS)
    used = cache.incr(key)
    limit = settings.COST_EXPLORER_MONTHLY_REQUEST_QUOTA
    if used > limit:
        cache.decr(key)
        raise CostExplorerQuotaExceeded(
            f"The Cost Explorer request quota of {limit} requests for {today:%B %Y} is used up "
            f"(each request costs you $0.01 on your AWS bill). Estimates resume next month; "
            "your CUR exports are not affected."
        )


def cost_explorer_page(
    *, source: CostSource, credentials: Credentials, start: date, end: date, token: str
) -> tuple[aws_ce.CostExplorerPage, bool]:
    """One page, from the cache when the same request was made recently; (page, from_cache)."""
    fingerprint = hashlib.sha256(f"{source.role_arn}|{start}|{end}|{token}".encode()).hexdigest()[:32]
    key = f"ce-page:{_org_key()}:{fingerprint}"
    cached = cache.get(key)
    if cached is not None:
        return cached, True
    _request_quota_spend_one()
    page = aws_ce.get_cost_and_usage_page(credentials=credentials, start=start, end=end, next_token=token)
    cache.set(key, page, PAGE_CACHE_SECONDS)
    return page, False


def estimates_source_for(source: CostSource) -> CostSource:
    """The one cost_explorer source standing beside a linked payer's export source."""
    estimates, _ = CostSource.objects.get_or_create(
        kind=SourceKind.COST_EXPLORER,
        payer_account_id=source.payer_account_id,
        role_arn=source.role_arn,
        defaults={"name": f"{source.name} (Cost Explorer estimates)", "provider": source.provider},
    )
    return estimates


@transaction.atomic
def estimates_retire(*, source: CostSource) -> str:
    """Drop the estimates of every billing period the export's reports cover; returns a note ("" if none).

    The estimates source goes once no estimate of it is left; otherwise it says which
    periods it still stands in for, so nobody mistakes them for the bill.
    """
    estimates = CostSource.objects.filter(
        kind=SourceKind.COST_EXPLORER, payer_account_id=source.payer_account_id, role_arn=source.role_arn
    ).first()
    if estimates is None:
        return ""
    covered = set(Delivery.objects.filter(source=source).values_list("billing_period", flat=True))
    bill_changed()
    dropped, _ = DailyCostRollup.objects.filter(source=estimates, billing_period__in=covered).delete()
    left = sorted(set(DailyCostRollup.objects.filter(source=estimates).values_list("billing_period", flat=True)))
    if not left:
        estimates.delete()
        return "Cost Explorer estimates retired: reports cover every period they stood in for."
    months = ", ".join(f"{period:%Y-%m}" for period in left)
    CostSource.objects.filter(pk=estimates.pk).update(
        last_checked_at=timezone.now(),
        last_check_ok=True,
        last_check_message=f"Estimates for {months} only, which no report of {source.name} covers yet; "
        "a report for a period replaces them.",
    )
    return f"Cost Explorer estimates remain for {months}, which no report covers yet." if dropped else ""


def default_window(today: date) -> tuple[date, date]:
    """From the first of last month to today (end exclusive): what a new customer has no bill for."""
    first_this_month = today.replace(day=1)
    start = (first_this_month - timedelta(days=1)).replace(day=1)
    return start, today


def estimates_gap_fill(
    *, source: CostSource, credentials: Credentials, start: date | None = None, end: date | None = None
) -> GapFillResult:
    """Write is_estimate rollups for [start, end) days no bill covers; raises CostExplorerQuotaExceeded."""
    if start is None or end is None:
        start, end = default_window(timezone.now().date())
    pages: list[aws_ce.CostExplorerPage] = []
    requested = from_cache = 0
    token = ""
    for _ in range(MAX_PAGES_PER_FILL):
        page, cached = cost_explorer_page(source=source, credentials=credentials, start=start, end=end, token=token)
        pages.append(page)
        from_cache += int(cached)
        requested += int(not cached)
        token = page.next_token
        if not token:
            break
    else:
        log.warning("Cost Explorer still paginating after %s pages for source %s", MAX_PAGES_PER_FILL, source.pk)
    rows, days, skipped = _estimates_replace(source=source, pages=pages, start=start, end=end)
    return GapFillResult(
        days=days, rows=rows, pages_requested=requested, pages_from_cache=from_cache, skipped_days=skipped
    )


@transaction.atomic
def _estimates_replace(
    *, source: CostSource, pages: list[aws_ce.CostExplorerPage], start: date, end: date
) -> tuple[int, int, int]:
    estimates = estimates_source_for(source)
    payer = source.payer_account_id
    bill_changed()
    billed_days = set(
        DailyCostRollup.objects.filter(
            is_estimate=False, billing_account_id=payer, day__gte=start, day__lt=end
        ).values_list("day", flat=True)
    )
    DailyCostRollup.objects.filter(source=estimates, day__gte=start, day__lt=end).delete()
    new_rows: list[DailyCostRollup] = []
    seen_accounts: dict[str, tuple[date, date]] = {}
    all_days: set[date] = set()
    for page in pages:
        for row in page.rows:
            all_days.add(row.day)
            if row.day in billed_days:
                continue
            account = row.account_id or payer
            first, last = seen_accounts.get(account, (row.day, row.day))
            seen_accounts[account] = (min(first, row.day), max(last, row.day))
            new_rows.append(
                DailyCostRollup(
                    day=row.day,
                    source=estimates,
                    billing_period=row.day.replace(day=1),
                    billing_account_id=payer,
                    sub_account_id=account,
                    service_name=row.service,
                    region="",
                    charge_category=ChargeCategory.USAGE,
                    currency=row.currency,
                    billed_cost=row.unblended,
                    effective_cost=row.amortized,
                    # Cost Explorer has no list or contracted price: not in this export (NULL, not 0).
                    list_cost=None,
                    contracted_cost=None,
                    unblended_cost=row.unblended,
                    net_unblended_cost=row.net_unblended,
                    row_count=1,
                    is_estimate=True,
                )
            )
    DailyCostRollup.objects.bulk_create(new_rows, batch_size=2000)
    for account_id, (first, last) in seen_accounts.items():
        linked, created = LinkedAccount.objects.get_or_create(
            provider=source.provider,
            account_id=account_id,
            defaults={"source": source, "first_seen": first, "last_seen": last},
        )
        if not created:
            linked.first_seen = min(filter(None, [linked.first_seen, first]))
            linked.last_seen = max(filter(None, [linked.last_seen, last]))
            linked.save(update_fields=["first_seen", "last_seen"])
    estimated_days = {r.day for r in new_rows}
    return len(new_rows), len(estimated_days), len(all_days & billed_days)
