"""S3: list a customer's export prefix, read manifests, stream report files to local files."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from botocore.exceptions import BotoCoreError, ClientError

from finops.aws import AwsCallError, Credentials, call_error, client

# Manifests are small JSON files; anything bigger is not a manifest we should trust.
MANIFEST_MAX_BYTES = 10 * 1024 * 1024
CHUNK_BYTES = 1024 * 1024
# Error codes and statuses worth another try: S3 asks for them to be retried.
TRANSIENT_CODES = frozenset(
    {"SlowDown", "InternalError", "ServiceUnavailable", "RequestTimeout", "503", "500", "502", "504"}
)


@dataclass(frozen=True)
class S3Object:
    key: str
    size: int
    etag: str
    last_modified: datetime


def list_objects(*, credentials: Credentials | None, bucket: str, prefix: str) -> list[S3Object]:
    """Every object under `prefix` (all pages); raises AwsCallError (NoSuchBucket, AccessDenied…)."""
    found: list[S3Object] = []
    try:
        paginator = client("s3", credentials).get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                found.append(
                    S3Object(
                        key=item["Key"],
                        size=int(item["Size"]),
                        etag=str(item.get("ETag", "")).strip('"'),
                        last_modified=item["LastModified"],
                    )
                )
    except (ClientError, BotoCoreError) as error:
        raise call_error("s3:ListBucket", error) from error
    return found


def read_object(
    *, credentials: Credentials | None, bucket: str, key: str, max_bytes: int = MANIFEST_MAX_BYTES
) -> bytes:
    """A small object's bytes (manifests); raises AwsCallError, or ValueError when it is too large."""
    try:
        response = client("s3", credentials).get_object(Bucket=bucket, Key=key)
        if int(response.get("ContentLength", 0)) > max_bytes:
            raise ValueError(f"s3://{bucket}/{key} is larger than {max_bytes} bytes")
        return bytes(response["Body"].read())
    except (ClientError, BotoCoreError) as error:
        raise call_error("s3:GetObject", error) from error


def is_transient(error: AwsCallError) -> bool:
    # BotoCoreError names: connection resets, read timeouts, truncated bodies while streaming,
    # and a body whose bytes do not match the checksum S3 sent with it (corrupted on the way:
    # the object itself is intact, so another transfer is the cure).
    return (
        error.code in TRANSIENT_CODES
        or (error.status is not None and error.status >= 500)
        or error.code
        in {
            "EndpointConnectionError",
            "ConnectionClosedError",
            "ReadTimeoutError",
            "ConnectTimeoutError",
            "IncompleteReadError",
            "ResponseStreamingError",
            "ProtocolError",
            "FlexibleChecksumError",
        }
    )


def download(
    *,
    credentials: Credentials | None,
    bucket: str,
    key: str,
    dest: BinaryIO,
    attempts: int = 5,
    sleep: Callable[[float], None] = time.sleep,
    on_chunk: Callable[[int], None] | None = None,
) -> int:
    """Stream s3://bucket/key into `dest` in 1 MiB chunks; returns the byte count.

    botocore retries a failed request, but not a body that breaks off half-way or arrives
    corrupted (FlexibleChecksumError: the bytes do not match the checksum S3 sent), so the
    whole download is retried here with exponential backoff and jitter (restarting `dest`).
    The AwsCallError raised at the end says how many attempts were made.
    """
    s3 = client("s3", credentials)
    for attempt in range(1, attempts + 1):
        dest.seek(0)
        dest.truncate()
        written = 0
        try:
            body = s3.get_object(Bucket=bucket, Key=key)["Body"]
            for chunk in body.iter_chunks(CHUNK_BYTES):
                dest.write(chunk)
                written += len(chunk)
                if on_chunk is not None:
                    on_chunk(len(chunk))
            dest.flush()
            return written
        except (ClientError, BotoCoreError) as raw:
            error = call_error("s3:GetObject", raw)
            if not is_transient(error):
                raise error from raw
            if attempt == attempts:
                raise AwsCallError(
                    operation=error.operation,
                    code=error.code,
                    message=f"{error.message} (gave up after {attempts} attempts)",
                    status=error.status,
                ) from raw
        sleep(min(30.0, 0.5 * 2 ** (attempt - 1)) * (0.5 + random.random() / 2))
    raise AssertionError("unreachable")  # pragma: no cover
