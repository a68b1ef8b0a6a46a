"""CloudWatch: custom metrics (PutMetricData)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from botocore.exceptions import BotoCoreError, ClientError

from finops.aws import call_error, client


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
