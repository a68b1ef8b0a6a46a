"""Queue depth metric: real Redis broker lists in, CloudWatch (moto over HTTP) out."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from finops.aws.testing import moto_client
from finops.celery import app
from finops.metrics import publish_queue_depth
from finops.testing_env import subprocess_env


@pytest.fixture
def cloudwatch(monkeypatch: pytest.MonkeyPatch, settings: Any, moto_endpoint: str) -> Iterator[Any]:
    """The moto server; the app's AWS clients reach it through AWS_ENDPOINT_URL."""
    settings.AWS_ENDPOINT_URL = moto_endpoint
    # moto keeps its state per process, not per server: start from nothing.
    urllib.request.urlopen(urllib.request.Request(f"{settings.AWS_ENDPOINT_URL}/moto-api/reset", method="POST"))
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    yield moto_client("cloudwatch", settings.AWS_ENDPOINT_URL, region=settings.AWS_REGION)


@pytest.fixture
def broker(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The app's Redis broker, under a key prefix of this test's own so that no worker takes these messages."""
    prefix = f"test-metrics-{uuid.uuid4().hex[:8]}:"
    monkeypatch.setitem(app.conf, "broker_transport_options", {**app.conf.broker_transport_options,
                                                               "global_keyprefix": prefix})  # fmt: skip
    with app.connection_for_write() as connection:
        yield connection
        client = connection.default_channel.client
        for key in client.scan_iter(match=f"{prefix}*"):
            client.delete(key.decode().removeprefix(prefix))


def _push(connection: Any, queue: str, count: int, priority: int = 0) -> None:
    with connection.SimpleQueue(queue) as simple:
        for i in range(count):
            simple.put({"n": i}, priority=priority)


def _datapoints(client: Any, queue: str) -> list[float]:
    now = dt.datetime.now(dt.UTC)
    result = client.get_metric_data(
        MetricDataQueries=[
            {
                "Id": "depth",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "FinOps",
                        "MetricName": "QueueDepth",
                        "Dimensions": [{"Name": "Queue", "Value": queue}],
                    },
                    "Period": 60,
                    "Stat": "Maximum",
                },
            }
        ],
        StartTime=now - dt.timedelta(minutes=5),
        EndTime=now + dt.timedelta(minutes=5),
    )
    (series,) = result["MetricDataResults"]
    return list(series["Values"])


def test_the_task_publishes_the_depth_of_every_queue_to_cloudwatch(
    cloudwatch: Any, broker: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PUBLISH_QUEUE_METRICS", "true")
    _push(broker, "ingest", 2)
    _push(broker, "ingest", 1, priority=9)  # kept in a list of its own: counted too
    _push(broker, "ai", 1)

    assert publish_queue_depth.apply().get() == {"default": 0, "ingest": 3, "ai": 1}

    listed = cloudwatch.list_metrics(Namespace="FinOps", MetricName="QueueDepth")["Metrics"]
    assert sorted(d["Value"] for m in listed for d in m["Dimensions"] if d["Name"] == "Queue") == [
        "ai",
        "default",
        "ingest",
    ]
    assert {queue: _datapoints(cloudwatch, queue) for queue in ("default", "ingest", "ai")} == {
        "default": [0.0],
        "ingest": [3.0],
        "ai": [1.0],
    }


def test_nothing_is_published_unless_publishing_is_switched_on(
    cloudwatch: Any, broker: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PUBLISH_QUEUE_METRICS", raising=False)
    _push(broker, "ingest", 1)

    assert publish_queue_depth.apply().get() is None
    assert cloudwatch.list_metrics(Namespace="FinOps")["Metrics"] == []


def test_beat_schedules_it_every_minute_on_the_default_queue_and_workers_know_it(settings: Any, db: Any) -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["publish-queue-depth"]
    assert (entry["task"], entry["schedule"], entry["options"]["queue"]) == (
        "finops.metrics.publish_queue_depth",
        60,
        "default",
    )
    # A worker imports the task modules at start; this one is not in an installed app's tasks.py.
    script = (
        "from finops.celery import app\n"
        "app.loader.import_default_modules()\n"
        "print('finops.metrics.publish_queue_depth' in app.tasks)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=subprocess_env(FINOPS_TESTING="1"),
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.strip().splitlines()[-1] == "True"
