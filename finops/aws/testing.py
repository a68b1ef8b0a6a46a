"""What tests need to seed and inspect a local moto server, so test code elsewhere never imports boto3.

Only ever pointed at a loopback moto server: the credentials are dummies.
"""

from __future__ import annotations

from typing import Any

import boto3


def moto_client(service: str, endpoint: str, *, region: str = "us-east-1") -> Any:
    """A plain boto3 client for `service` on the moto server at `endpoint` (dummy credentials)."""
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
