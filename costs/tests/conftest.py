"""AWS for the costs tests: one local moto server per test process, spoken to over HTTP.

The endpoint is chosen and exported when this file is imported, before any Celery worker
process is started, so workers inherit it. Nothing here can reach real AWS: the credentials
are dummies and every client is pointed at the loopback moto server.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from django.conf import settings

from finops.aws.testing import moto_client


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


MOTO_PORT = _free_port()
MOTO_URL = f"http://127.0.0.1:{MOTO_PORT}"
os.environ["AWS_ENDPOINT_URL"] = MOTO_URL
os.environ["AWS_ACCESS_KEY_ID"] = "testing"
os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"
os.environ["AWS_SESSION_TOKEN"] = "testing"
os.environ["AWS_DEFAULT_REGION"] = "us-east-1"
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
# Worker processes started by tests read their own settings from this environment: fan-out
# without the production jitter, so a beat-style check runs at once.
os.environ["SOURCE_CHECK_JITTER_SECONDS"] = "0"
settings.AWS_ENDPOINT_URL = MOTO_URL
settings.AWS_REGION = "us-east-1"
# One log line per moto request drowns real failures.
logging.getLogger("werkzeug").setLevel(logging.WARNING)

# moto's default account: roles and buckets of the "customer" live here.
CUSTOMER_ACCOUNT = "123456789012"
ROLE_ARN = f"arn:aws:iam::{CUSTOMER_ACCOUNT}:role/finops-readonly/FinOpsReadOnly"


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=MOTO_PORT, verbose=False)
    server.start()
    yield MOTO_URL
    server.stop()


@dataclass
class Aws:
    url: str

    def client(self, service: str) -> Any:
        return moto_client(service, self.url)

    def seed_cost_explorer(self, results: list[dict[str, Any]], account_id: str = CUSTOMER_ACCOUNT) -> None:
        response = requests.post(
            f"{self.url}/moto-api/static/ce/cost-and-usage-results",
            json={"results": results, "account_id": account_id},
            timeout=10,
        )
        assert response.status_code == 201, response.text

    def enforce_iam(self, enabled: bool) -> None:
        """Switch moto's IAM evaluation (signatures, policies, role trust) on or off."""
        count = "0" if enabled else "inf"
        requests.post(f"{self.url}/moto-api/reset-auth", data=count.encode(), timeout=10).raise_for_status()


@pytest.fixture
def aws(moto_server: str) -> Iterator[Aws]:
    """A clean moto world for one test."""
    requests.post(f"{moto_server}/moto-api/reset", timeout=10).raise_for_status()
    helper = Aws(url=moto_server)
    yield helper
    helper.enforce_iam(False)


def legacy_delivery_put(
    s3: Any,
    *,
    bucket: str,
    root: str,
    name: str,
    period: str,
    files: dict[str, bytes],
    assembly_id: str,
    write_manifest: bool = True,
    skip_files: tuple[str, ...] = (),
) -> str:
    """Write a legacy CUR delivery like AWS does (files under the assembly id, then the manifest); returns the manifest key."""
    start, end = period.split("-")
    keys = [f"{root}{name}/{period}/{assembly_id}/{fname}" for fname in files]
    for key, body in zip(keys, files.values(), strict=True):
        if key.rsplit("/", 1)[-1] not in skip_files:
            s3.put_object(Bucket=bucket, Key=key, Body=body)
    manifest = {
        "assemblyId": assembly_id,
        "account": CUSTOMER_ACCOUNT,
        "reportKeys": keys,
        "billingPeriod": {"start": f"{start}T000000.000Z", "end": f"{end}T000000.000Z"},
        "bucket": bucket,
        "compression": "GZIP",
    }
    manifest_key = f"{root}{name}/{period}/{name}-Manifest.json"
    if write_manifest:
        import json

        body = json.dumps(manifest).encode()
        # AWS also keeps a copy per assembly; discovery must ignore it.
        s3.put_object(Bucket=bucket, Key=f"{root}{name}/{period}/{assembly_id}/{name}-Manifest.json", Body=body)
        s3.put_object(Bucket=bucket, Key=manifest_key, Body=body)
    return manifest_key


def exports_delivery_put(
    s3: Any,
    *,
    bucket: str,
    root: str,
    name: str,
    period: str,
    files: dict[str, bytes],
    execution_id: str,
    skip_files: tuple[str, ...] = (),
    export_type: str = "CUR2.0",
) -> str:
    """Write a CUR 2.0 / FOCUS Data Exports delivery (data files, then the manifest); returns the manifest key."""
    import json

    keys = [f"{root}{name}/data/BILLING_PERIOD={period}/{fname}" for fname in files]
    for key, body in zip(keys, files.values(), strict=True):
        if key.rsplit("/", 1)[-1] not in skip_files:
            s3.put_object(Bucket=bucket, Key=key, Body=body)
    manifest = {
        "executionId": execution_id,
        "exportArn": f"arn:aws:bcm-data-exports:us-east-1:{CUSTOMER_ACCOUNT}:export/{name}-abc",
        "exportType": export_type,
        "billingPeriod": {"start": f"{period}-01T00:00:00.000Z"},
        "dataFiles": [f"s3://{bucket}/{k}" for k in keys],
    }
    manifest_key = f"{root}{name}/metadata/BILLING_PERIOD={period}/{name}-Manifest.json"
    s3.put_object(Bucket=bucket, Key=manifest_key, Body=json.dumps(manifest).encode())
    return manifest_key


@pytest.fixture
def dedicated_worker(celery_worker_process: Any, django_db_blocker: Any) -> Iterator[Any]:
    """dedicated_worker(queue, **env) -> a Celery worker process of its own (own process group) consuming only `queue`.

    For tests that kill a worker: the shared session worker is never harmed, and it does not
    consume the dedicated queue.
    """
    import subprocess
    import sys
    import time
    import uuid
    from pathlib import Path

    from finops.celery import app
    from finops.testing_env import subprocess_env

    started: list[subprocess.Popen[bytes]] = []
    env = subprocess_env(FINOPS_TESTING="1")

    def start(queue: str, **extra_env: str) -> subprocess.Popen[bytes]:
        node = f"dedicated-{uuid.uuid4().hex[:8]}@localhost"
        log = Path(os.environ.get("TMPDIR", "/tmp")) / f"{node}.log"
        command = [sys.executable, "-m", "celery", "-A", "finops", "worker", "-Q", queue, "--pool", "prefork",
                   "--concurrency", "1", "--loglevel", "INFO", "--without-gossip", "--without-mingle", "-n", node]  # fmt: skip
        with log.open("wb") as out:
            process = subprocess.Popen(
                command,
                env={**env, **extra_env},
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=settings.BASE_DIR,
                start_new_session=True,
            )
        process.log_path = log  # type: ignore[attr-defined]
        process.node = node  # type: ignore[attr-defined]
        started.append(process)
        deadline = time.monotonic() + 60
        with django_db_blocker.unblock():
            while time.monotonic() < deadline:
                if process.poll() is not None:
                    raise RuntimeError(f"dedicated worker exited: {log.read_text()[-3000:]}")
                if app.control.ping(destination=[node], timeout=0.5):
                    return process
        raise RuntimeError(f"dedicated worker did not answer: {log.read_text()[-3000:]}")

    yield start
    import signal

    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture
def s3_uploads_bucket(moto_server: str, settings: Any) -> Any:
    """Production-mode file storage: our bucket on moto, browser uploads presigned to it; (name, client)."""
    name = f"finops-files-{uuid.uuid4().hex[:8]}"
    s3 = moto_client("s3", moto_server)
    s3.create_bucket(Bucket=name)
    settings.AWS_STORAGE_BUCKET_NAME = name
    settings.AWS_S3_ENDPOINT_URL = moto_server
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "finops.storage.TenantS3Storage",
            "OPTIONS": {"bucket_name": name, "endpoint_url": moto_server, "region_name": "us-east-1"},
        },
    }
    yield name, s3
    for item in s3.list_objects_v2(Bucket=name).get("Contents", []):
        s3.delete_object(Bucket=name, Key=item["Key"])
    s3.delete_bucket(Bucket=name)
