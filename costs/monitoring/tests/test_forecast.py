"""Month-end forecast: month to date is exact, the rest follows the weekly pattern, with an interval."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from costs.selectors import daily_spend_series, month_end_forecast, month_end_forecast_by_value


def test_the_forecast_adds_the_weekly_run_rate_to_the_exact_month_to_date(billed_org: Any) -> None:
    today = datetime.date(2025, 3, 10)
    [forecast] = month_end_forecast(today=today)
    days = daily_spend_series(dimension="total", start=datetime.date(2025, 3, 1), end=today, usage_only=False)
    exact = sum((a for series in days.values() for a in series.values() if a is not None), Decimal(0))
    assert forecast.actual_to_date == exact.quantize(Decimal("0.01"))
    assert forecast.through == today and forecast.currency == "USD"
    # ~$120 a weekday and ~$80 a weekend day: about $3,350 for March.
    assert Decimal(3100) < forecast.forecast < Decimal(3600)
    assert forecast.actual_to_date <= forecast.low <= forecast.forecast <= forecast.high
    assert forecast.high - forecast.low < Decimal(600)


def test_a_service_forecast_covers_that_service_only(billed_org: Any) -> None:
    [s3] = month_end_forecast(
        today=datetime.date(2025, 3, 10), dimension="service", value="Amazon Simple Storage Service"
    )
    assert Decimal(550) < s3.forecast < Decimal(700)  # ~$20 a day


def test_no_data_this_month_means_no_forecast(billed_org: Any) -> None:
    assert month_end_forecast(today=datetime.date(2026, 1, 10)) == []


def test_forecasts_of_every_value_at_once_equal_each_values_own_forecast(billed_org: Any) -> None:
    today = datetime.date(2025, 3, 10)
    for dimension, tag_key, values in (
        ("total", "", {""}),
        ("service", "", {"Amazon Elastic Compute Cloud", "Amazon Simple Storage Service"}),
        ("account", "", {"444455556666", "777788889999"}),
        ("tag", "team", {"web"}),
    ):
        by_value = month_end_forecast_by_value(today=today, dimension=dimension, tag_key=tag_key)
        assert set(by_value) == values, dimension
        for value, forecasts in by_value.items():
            one = month_end_forecast(today=today, dimension=dimension, value=value or None, tag_key=tag_key)
            assert forecasts == one and forecasts, (dimension, value)
