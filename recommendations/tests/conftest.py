"""Fixtures for recommendations tests: a demo bill loaded into an organization."""

from __future__ import annotations

import os
from typing import Any

import pytest

# Worker processes started by tests inherit this: a run right after an ingestion, no debounce wait.
os.environ["RECOMMENDATIONS_DEBOUNCE_SECONDS"] = "0"

DEMO_MONTHS = "2"


def load_demo(world: Any) -> None:
    from django.core.management import call_command

    call_command("load_demo_data", "--org", world.organization.slug, "--months", DEMO_MONTHS, verbosity=0)


@pytest.fixture
def demo_bill(org_a: Any) -> Any:
    """org_a with two months of the demo company's bills ingested."""
    load_demo(org_a)
    return org_a


# AWS for these tests: dummy credentials, everything on loopback (never real AWS).
for _name, _value in (
    ("AWS_ACCESS_KEY_ID", "testing"),
    ("AWS_SECRET_ACCESS_KEY", "testing"),
    ("AWS_SESSION_TOKEN", "testing"),
    ("AWS_DEFAULT_REGION", "us-east-1"),
    ("AWS_EC2_METADATA_DISABLED", "true"),
):
    os.environ.setdefault(_name, _value)


@pytest.fixture(scope="session")
def bedrock_server() -> Any:
    """One local Bedrock per test process (a real HTTP server speaking the wire protocol)."""
    from finops.aws.bedrock_local import LocalBedrock

    server = LocalBedrock().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def s3_server() -> Any:
    """A moto server over HTTP for the batch inference bucket (moto has S3, not Bedrock)."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bedrock(bedrock_server: Any, settings: Any) -> Any:
    """The local Bedrock, reset, with the app configured to use it (fast retries for tests)."""
    from finops.aws import bedrock as bedrock_client

    bedrock_server.reset()
    bedrock_client._cached_client.cache_clear()
    settings.RECOMMENDATIONS_PROVIDER = "bedrock"
    settings.BEDROCK_ENDPOINT_URL = bedrock_server.url
    settings.BEDROCK_RETRY_BASE_SECONDS = 0.01
    settings.BEDROCK_READ_TIMEOUT_SECONDS = 5
    yield bedrock_server
    bedrock_client._cached_client.cache_clear()
