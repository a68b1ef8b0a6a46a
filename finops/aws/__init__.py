"""The only place boto3 is touched: one module per AWS service, each returning typed dataclasses.

`sts`, `s3`, `organizations`, `cost_explorer` (the AWS Cost Explorer API, not the product's
explorer pages), `cloudwatch`, `secrets_manager`; `testing` seeds a local moto server for tests.
Clients are built here with our endpoint (a local moto server in tests, AWS itself in
production), region and a retry policy. Errors from AWS are turned into `AwsCallError`
carrying the service's error code, so callers can explain failures without importing botocore.
ruff's banned-api rule (TID251) keeps boto3 and botocore out of every other package.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings

# botocore's "standard" mode retries throttling, 5xx and connection errors with jittered
# exponential backoff; `max_attempts` counts the first try.
RETRY_CONFIG = Config(
    retries={"max_attempts": 6, "mode": "standard"},
    connect_timeout=5,
    read_timeout=60,
)


@dataclass(frozen=True)
class Credentials:
    """Temporary credentials of an assumed customer role. Never stored."""

    access_key_id: str
    secret_access_key: str
    session_token: str


class AwsCallError(Exception):
    """An AWS call failed; `code` is AWS's error code (AccessDenied, NoSuchBucket, …) or a botocore error name."""

    def __init__(self, *, operation: str, code: str, message: str, status: int | None = None) -> None:
        super().__init__(f"{operation}: {code}: {message}")
        self.operation = operation
        self.code = code
        self.message = message
        self.status = status


def client(service: str, credentials: Credentials | None = None, *, region: str = "") -> Any:
    """A boto3 client for `service`; with `credentials`, acting as the customer's role.

    The endpoint comes from settings, the region too unless given (a customer's bucket may
    live in another region than our deployment).
    """
    return client_at(service, credentials, region=region or settings.AWS_REGION, endpoint_url=settings.AWS_ENDPOINT_URL)


def client_at(service: str, credentials: Credentials | None = None, *, region: str, endpoint_url: str | None) -> Any:
    """A boto3 client for `service` in `region` at `endpoint_url` (None: AWS itself), without reading settings.

    Secrets Manager is read while the settings module is still being evaluated, so it cannot
    go through `client()`.
    """
    kwargs: dict[str, Any] = {"region_name": region, "endpoint_url": endpoint_url, "config": RETRY_CONFIG}
    if credentials is not None:
        kwargs.update(
            aws_access_key_id=credentials.access_key_id,
            aws_secret_access_key=credentials.secret_access_key,
            aws_session_token=credentials.session_token,
        )
    return boto3.session.Session().client(service, **kwargs)


def call_error(operation: str, error: Exception) -> AwsCallError:
    """Translate a botocore exception into an `AwsCallError`."""
    if isinstance(error, ClientError):
        info = error.response.get("Error", {})
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return AwsCallError(
            operation=operation,
            code=str(info.get("Code") or status or "ClientError"),
            message=str(info.get("Message") or ""),
            status=status,
        )
    if isinstance(error, BotoCoreError):
        return AwsCallError(operation=operation, code=type(error).__name__, message=str(error))
    raise error
