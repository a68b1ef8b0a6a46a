"""The bill's read API for everyone else (pages, the API, other apps): all from the daily rollups.

Apps that read the bill (explorer, monitoring, recommendations) import from here, never
from `costs.models`; new reads go in a module of this package and are re-exported here.
"""

from costs.selectors.daily import daily_costs, rollups_effective
from costs.selectors.forecast import MonthForecast, month_end_forecast
from costs.selectors.home import home_summary
from costs.selectors.money import money_format
from costs.selectors.series import (
    CombinationSpend,
    daily_spend_series,
    latest_cost_day,
    spend_by_combination,
    spend_by_resource,
    tag_spend_series,
)
from costs.selectors.totals import cost_totals
from costs.vocabulary import ALL_CATEGORIES, BASES, GROUPABLE, ChargeCategory, CostBasis, Dimension

__all__ = [
    "ALL_CATEGORIES",
    "BASES",
    "GROUPABLE",
    "ChargeCategory",
    "CombinationSpend",
    "CostBasis",
    "Dimension",
    "MonthForecast",
    "cost_totals",
    "daily_costs",
    "daily_spend_series",
    "home_summary",
    "latest_cost_day",
    "money_format",
    "month_end_forecast",
    "rollups_effective",
    "spend_by_combination",
    "spend_by_resource",
    "tag_spend_series",
]
