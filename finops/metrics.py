"""Celery queue depth as a CloudWatch metric: namespace FinOps, metric QueueDepth, dimension Queue.

ECS scales each worker service on the depth of the queues it consumes, and an alarm fires
when a queue backs up (deploy/infra). Beat runs `publish_queue_depth` every minute; it only
publishes where PUBLISH_QUEUE_METRICS is on (the deployed beat), so development and tests
never call AWS unless they mean to.
"""

from __future__ import annotations

import os
from typing import Any

from django.utils import timezone

from finops.aws.cloudwatch import MetricDatum, metric_data_put
from finops.celery import app, shared_task
from finops.queues import Queue

NAMESPACE = "FinOps"
METRIC_NAME = "QueueDepth"
DIMENSION = "Queue"


def publishing_enabled() -> bool:
    return os.environ.get("PUBLISH_QUEUE_METRICS", "").strip().lower() in {"1", "true", "yes", "on"}


def queue_depths(connection: Any) -> dict[str, int]:
    """Messages waiting in each Celery queue, as the broker transport counts them.

    On Redis a queue is a list per priority step; kombu's queue_declare sums them (and
    declaring an existing or absent queue changes nothing there). Messages a worker has
    taken but not yet acknowledged are not waiting, so they are not counted.
    """
    channel = connection.default_channel
    return {queue.value: int(channel.queue_declare(queue=queue.value).message_count) for queue in Queue}


def queue_depths_put(depths: dict[str, int]) -> None:
    """One PutMetricData call with a datapoint per queue."""
    now = timezone.now()
    metric_data_put(
        namespace=NAMESPACE,
        data=[
            MetricDatum(name=METRIC_NAME, value=depth, unit="Count", timestamp=now, dimensions={DIMENSION: queue})
            for queue, depth in sorted(depths.items())
        ],
    )


@shared_task(name="finops.metrics.publish_queue_depth", ignore_result=True)
def publish_queue_depth() -> dict[str, int] | None:
    """Publish every queue's depth to CloudWatch (beat, each minute); None when publishing is off."""
    if not publishing_enabled():
        return None
    with app.connection_for_read() as connection:
        depths = queue_depths(connection)
    queue_depths_put(depths)
    return depths
