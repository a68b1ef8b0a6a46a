"""CloudWatch: custom metrics (PutMetricData) and, through a customer's role, resource metrics (GetMetricData)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings

from finops.aws import call_error, client, client_at


@dataclass(frozen=True)
class MetricDatum:
    """One datapoint of a custom metric; `dimensions` maps dimension names to values."""

    name: str
    value: float
    unit: str
    timestamp: datetime.datetime
    dimensions: dict[str, str] = field(default_factory=dict)


def metric_data_put(*, namespace: str, data: list[MetricDatum]) -> None:
    """Publish `data` in one PutMetricData call; raises AwsCallError."""
    try:
        client("cloudwatch").put_metric_data(
            Namespace=namespace,
            MetricData=[
                {
                    "MetricName": datum.name,
                    "Dimensions": [{"Name": name, "Value": value} for name, value in datum.dimensions.items()],
                    "Timestamp": datum.timestamp,
                    "Value": datum.value,
                    "Unit": datum.unit,
                }
                for datum in data
            ],
        )
    except (ClientError, BotoCoreError) as error:
        raise call_error("cloudwatch:PutMetricData", error) from error


def daily_metric_max(
    *,
    credentials: Any,
    region: str,
    namespace: str,
    metric: str,
    dimension: str,
    ids: list[str],
    stat: str,
    start: datetime.datetime,
    end: datetime.datetime,
) -> dict[str, Decimal]:
    """Per resource id: the highest daily `stat` of `metric` between start and end (GetMetricData, 1-day periods).

    Ids without datapoints are left out (no data is not zero). Raises AwsCallError (AccessDenied
    when the customer's role may not read metrics).
    """
    found: dict[str, Decimal] = {}
    cloudwatch = client_at("cloudwatch", credentials, region=region, endpoint_url=settings.AWS_ENDPOINT_URL)
    for offset in range(0, len(ids), 500):  # GetMetricData takes up to 500 queries
        chunk = ids[offset : offset + 500]
        queries = [
            {
                "Id": f"m{number}",
                "MetricStat": {
                    "Metric": {
                        "Namespace": namespace,
                        "MetricName": metric,
                        "Dimensions": [{"Name": dimension, "Value": value}],
                    },
                    "Period": 86400,
                    "Stat": stat,
                },
                "ReturnData": True,
            }
            for number, value in enumerate(chunk)
        ]
        try:
            pages = cloudwatch.get_paginator("get_metric_data").paginate(
                MetricDataQueries=queries, StartTime=start, EndTime=end
            )
            for page in pages:
                for result in page.get("MetricDataResults", []):
                    values = result.get("Values") or []
                    if values:
                        key = chunk[int(result["Id"][1:])]
                        best = Decimal(str(max(values)))
                        found[key] = max(found.get(key, best), best)
        except (ClientError, BotoCoreError) as error:
            raise call_error("cloudwatch:GetMetricData", error) from error
    return found
