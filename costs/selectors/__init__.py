"""The bill's read API for everyone else (pages, the API, other apps): from the daily rollups and
the explorer's summary tables (`breakdown` picks the smallest that answers; `lines` reads line items;
`resources` reads line items per resource for the recommendations detectors).

Apps that read the bill (explorer, monitoring, recommendations) import from here, never
from `costs.models`; new reads go in a module of this package and are re-exported here.
"""

from costs.selectors.amounts import Amount, amount_add, amount_sub
from costs.selectors.breakdown import Breakdown, BreakdownRow, cost_breakdown
from costs.selectors.daily import daily_costs, rollups_effective
from costs.selectors.dashboard import Change, DailyStack, Dashboard, Mover, Ranked, TaggedShare, Window, home_dashboard
from costs.selectors.focus import (
    FOCUS_COLUMNS,
    FOCUS_DATETIMES,
    FOCUS_MONEY,
    FOCUS_QUANTITIES,
    FocusPeriod,
    focus_billed_periods,
    focus_line_batches,
    focus_period,
    focus_period_unchanged,
)
from costs.selectors.forecast import MonthForecast, month_end_forecast, month_end_forecast_by_value
from costs.selectors.freshness import Freshness, bill_freshness
from costs.selectors.home import home_summary
from costs.selectors.lines import LineItem, LineItemPage, account_names, bill_days, cost_line_items, tag_keys
from costs.selectors.money import money_format
from costs.selectors.query import (
    PRESET_LABELS,
    CostQuery,
    DimensionFilter,
    Granularity,
    Preset,
    QueryError,
    bucket_range,
    cost_query_parse,
    dimension_label,
    tag_key_of,
)
from costs.selectors.reconciliation import CategoryTotal, SourcePeriod, period_reconciliation, reconciliation_periods
from costs.selectors.series import (
    CombinationSpend,
    daily_spend_series,
    latest_cost_day,
    spend_by_combination,
    spend_by_resource,
    tag_spend_series,
)
from costs.selectors.sources import cost_sources, jobs_recent, linked_accounts, source_deliveries, source_jobs
from costs.selectors.totals import cost_range_totals, cost_totals
from costs.vocabulary import ALL_CATEGORIES, BASES, GROUPABLE, NOT_IN_EXPORT, ChargeCategory, CostBasis, Dimension

__all__ = [
    "ALL_CATEGORIES",
    "FOCUS_COLUMNS",
    "FOCUS_DATETIMES",
    "FOCUS_MONEY",
    "FOCUS_QUANTITIES",
    "FocusPeriod",
    "focus_billed_periods",
    "focus_line_batches",
    "focus_period",
    "focus_period_unchanged",
    "Amount",
    "BASES",
    "Breakdown",
    "Change",
    "DailyStack",
    "Dashboard",
    "Freshness",
    "Mover",
    "Ranked",
    "TaggedShare",
    "Window",
    "bill_freshness",
    "CategoryTotal",
    "SourcePeriod",
    "period_reconciliation",
    "reconciliation_periods",
    "home_dashboard",
    "BreakdownRow",
    "ChargeCategory",
    "CombinationSpend",
    "CostBasis",
    "CostQuery",
    "Dimension",
    "DimensionFilter",
    "GROUPABLE",
    "Granularity",
    "LineItem",
    "LineItemPage",
    "MonthForecast",
    "NOT_IN_EXPORT",
    "PRESET_LABELS",
    "Preset",
    "QueryError",
    "account_names",
    "amount_add",
    "amount_sub",
    "bill_days",
    "bucket_range",
    "cost_breakdown",
    "cost_line_items",
    "cost_query_parse",
    "cost_range_totals",
    "cost_sources",
    "cost_totals",
    "daily_costs",
    "daily_spend_series",
    "dimension_label",
    "home_summary",
    "jobs_recent",
    "latest_cost_day",
    "linked_accounts",
    "money_format",
    "month_end_forecast",
    "month_end_forecast_by_value",
    "rollups_effective",
    "source_deliveries",
    "source_jobs",
    "spend_by_combination",
    "spend_by_resource",
    "tag_key_of",
    "tag_keys",
    "tag_spend_series",
]
