"""S3: find a bucket's region, list a customer's export prefix, read manifests, stream report files to local files;
and, in our own bucket, presigned POSTs for browser uploads.

Every call takes the bucket's `region` ("" for our own region). A client signed for the wrong
region still works against AWS: botocore's S3 region redirector follows S3's 301
PermanentRedirect / 400 AuthorizationHeaderMalformed answers once per bucket, but each such
call costs a round trip, so the region is found once (`bucket_region`) and stored.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings

from finops.aws import AwsCallError, Credentials, call_error, client, client_at

# Manifests are small JSON files; anything bigger is not a manifest we should trust.
MANIFEST_MAX_BYTES = 10 * 1024 * 1024
CHUNK_BYTES = 1024 * 1024
# Error codes and statuses worth another try: S3 asks for them to be retried.
TRANSIENT_CODES = frozenset(
    {"SlowDown", "InternalError", "ServiceUnavailable", "RequestTimeout", "503", "500", "502", "504"}
)


def _location_region(constraint: str | None) -> str:
    # GetBucketLocation answers null for us-east-1 and "EU" for the oldest eu-west-1 buckets.
    if not constraint:
        return "us-east-1"
    return "eu-west-1" if constraint == "EU" else constraint


def bucket_region(*, credentials: Credentials | None, bucket: str) -> str:
    """The bucket's region; raises AwsCallError when S3 does not tell.

    GetBucketLocation first (needs s3:GetBucketLocation, which roles made from our template
    since it was added have); else the x-amz-bucket-region header S3 puts on every HeadBucket
    answer, a refusal or a redirect included (roles made before: HeadBucket needs only
    s3:ListBucket, and even a 403 carries the header).
    """
    s3 = client("s3", credentials)
    try:
        return _location_region(s3.get_bucket_location(Bucket=bucket).get("LocationConstraint"))
    except (ClientError, BotoCoreError) as raw:
        location_error = call_error("s3:GetBucketLocation", raw)
        if location_error.code == "NoSuchBucket":
            raise location_error from raw
    try:
        headers = s3.head_bucket(Bucket=bucket)["ResponseMetadata"]["HTTPHeaders"]
    except ClientError as raw:
        headers = raw.response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
        if not headers.get("x-amz-bucket-region"):
            raise call_error("s3:HeadBucket", raw) from raw
    except BotoCoreError as raw:
        raise call_error("s3:HeadBucket", raw) from raw
    region = str(headers.get("x-amz-bucket-region") or "")
    if not region:
        raise location_error
    return region


@dataclass(frozen=True)
class S3Object:
    key: str
    size: int
    etag: str
    last_modified: datetime


def list_objects(*, credentials: Credentials | None, bucket: str, prefix: str, region: str = "") -> list[S3Object]:
    """Every object under `prefix` (all pages); raises AwsCallError (NoSuchBucket, AccessDenied…)."""
    found: list[S3Object] = []
    try:
        paginator = client("s3", credentials, region=region).get_paginator("list_objects_v2")
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
    *, credentials: Credentials | None, bucket: str, key: str, max_bytes: int = MANIFEST_MAX_BYTES, region: str = ""
) -> bytes:
    """A small object's bytes (manifests); raises AwsCallError, or ValueError when it is too large."""
    try:
        response = client("s3", credentials, region=region).get_object(Bucket=bucket, Key=key)
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
    region: str = "",
) -> int:
    """Stream s3://bucket/key into `dest` in 1 MiB chunks; returns the byte count.

    botocore retries a failed request, but not a body that breaks off half-way or arrives
    corrupted (FlexibleChecksumError: the bytes do not match the checksum S3 sent), so the
    whole download is retried here with exponential backoff and jitter (restarting `dest`).
    The AwsCallError raised at the end says how many attempts were made.
    """
    s3 = client("s3", credentials, region=region)
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


@dataclass(frozen=True)
class PresignedPost:
    """Where and how a browser posts one file straight to our bucket (S3 checks the policy, not us)."""

    url: str
    fields: dict[str, str]
    key_prefix: str
    max_bytes: int
    expires_seconds: int


def upload_post_presign(
    *, bucket: str, key_prefix: str, max_bytes: int, expires_seconds: int = 900, endpoint_url: str | None = None
) -> PresignedPost:
    """A presigned POST for one object under `key_prefix` in our own bucket, of 1..max_bytes bytes.

    The policy S3 enforces carries `content-length-range` (a bigger body is refused by S3
    itself, EntityTooLarge, before it is stored) and `starts-with $key` (the browser chooses
    only the file name after the prefix). Signed with our task role: the fields include its
    session token when it has one.
    """
    s3 = client_at("s3", region=settings.AWS_REGION, endpoint_url=endpoint_url or settings.AWS_ENDPOINT_URL)
    conditions: list[Any] = [
        ["content-length-range", 1, max_bytes],
        ["starts-with", "$key", key_prefix],
    ]
    try:
        answer = s3.generate_presigned_post(
            Bucket=bucket,
            Key=key_prefix + "${filename}",
            Conditions=conditions,
            ExpiresIn=expires_seconds,
        )
    except (ClientError, BotoCoreError) as error:
        raise call_error("s3:PresignPost", error) from error
    fields = {k: str(v) for k, v in answer["fields"].items() if k != "key"}
    return PresignedPost(
        url=str(answer["url"]),
        fields=fields,
        key_prefix=key_prefix,
        max_bytes=max_bytes,
        expires_seconds=expires_seconds,
    )


def object_head(*, bucket: str, key: str, endpoint_url: str | None = None) -> S3Object | None:
    """Our own bucket's object at `key`, or None when there is none; raises AwsCallError otherwise."""
    s3 = client_at("s3", region=settings.AWS_REGION, endpoint_url=endpoint_url or settings.AWS_ENDPOINT_URL)
    try:
        head = s3.head_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if str(error.response.get("Error", {}).get("Code")) in {"404", "NoSuchKey", "NotFound"}:
            return None
        raise call_error("s3:HeadObject", error) from error
    except BotoCoreError as error:
        raise call_error("s3:HeadObject", error) from error
    return S3Object(
        key=key,
        size=int(head["ContentLength"]),
        etag=str(head.get("ETag", "")).strip('"'),
        last_modified=head["LastModified"],
    )


def object_delete(*, bucket: str, key: str, endpoint_url: str | None = None) -> None:
    """Remove one object of our own bucket (an upload we refused)."""
    s3 = client_at("s3", region=settings.AWS_REGION, endpoint_url=endpoint_url or settings.AWS_ENDPOINT_URL)
    try:
        s3.delete_object(Bucket=bucket, Key=key)
    except (ClientError, BotoCoreError) as error:
        raise call_error("s3:DeleteObject", error) from error
