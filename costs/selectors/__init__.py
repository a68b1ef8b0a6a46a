"""The bill's read API for everyone else (pages, the API, other apps): all from the daily rollups.

Apps that read the bill (explorer, monitoring, recommendations) import from here, never
from `costs.models`; new reads go in a module of this package and are re-exported here.
"""

from costs.selectors.daily import daily_costs, rollups_effective
from costs.selectors.home import home_summary
from costs.selectors.money import money_format
from costs.selectors.totals import cost_totals
from costs.vocabulary import ALL_CATEGORIES, BASES, GROUPABLE, ChargeCategory, CostBasis, Dimension

__all__ = [
    "ALL_CATEGORIES",
    "BASES",
    "GROUPABLE",
    "ChargeCategory",
    "CostBasis",
    "Dimension",
    "cost_totals",
    "daily_costs",
    "home_summary",
    "money_format",
    "rollups_effective",
]
