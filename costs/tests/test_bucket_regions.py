"""Buckets in other regions, against moto over HTTP behind a proxy that answers as S3 does for a wrong region.

What moto cannot show: it serves every bucket through one endpoint whatever region a request
is signed for (a wrong-region request simply succeeds), so S3's refusal is emulated here. The
proxy reads the region from each request's SigV4 credential scope and, for a request to the
bucket signed for another region than the bucket's, answers like S3: 301 PermanentRedirect
with `x-amz-bucket-region` (HeadBucket: a bodiless 301 with the header). GetBucketLocation
is answered by moto itself (it returns the LocationConstraint the bucket was created with,
null for us-east-1) and works from any region, as on S3.
"""

from __future__ import annotations

import csv
import gzip
import http.client
import io
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db.models import Sum
from django_tenants.utils import tenant_context

from costs.models import CostSource, DailyCostRollup, IngestionJob, JobStatus
from costs.services.checks import source_check_run
from costs.services.sources import source_create
from costs.tests.conftest import ROLE_ARN, legacy_delivery_put
from finops.aws.testing import moto_client

BUCKET = "acme-billing-eu"
BUCKET_REGION = "eu-west-1"
SAMPLE = Path(settings.BASE_DIR).parent / "shared" / "data" / "aws_cur" / "legacy_csv"
DENIED = (
    b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>'
)


@dataclass
class Seen:
    method: str
    path: str
    region: str
    status: int


@dataclass
class RegionalS3:
    """A proxy in front of moto that makes BUCKET live in BUCKET_REGION, as S3 would."""

    upstream: str
    deny_location: bool = False
    head_without_region: bool = False
    seen: list[Seen] = field(default_factory=list)

    def start(self) -> str:
        target = urlsplit(self.upstream)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                authorization = self.headers.get("Authorization", "")
                region = (
                    authorization.split("Credential=", 1)[-1].split("/")[2] if "Credential=" in authorization else ""
                )
                status = self._answer(region)
                proxy.seen.append(Seen(self.command, self.path, region, status))

            def _answer(self, region: str) -> int:
                path, _, query = self.path.partition("?")
                if path.strip("/").split("/")[0] == BUCKET:
                    if "location" in query.split("&"):
                        if proxy.deny_location:
                            return self._reply(403, DENIED)
                    elif self.command == "HEAD" and proxy.head_without_region:
                        return self._reply(403, b"")
                    elif region != BUCKET_REGION:
                        body = b"" if self.command == "HEAD" else self._redirect_body()
                        return self._reply(301, body, {"x-amz-bucket-region": BUCKET_REGION})
                return self._forward()

            def _redirect_body(self) -> bytes:
                return (
                    '<?xml version="1.0" encoding="UTF-8"?><Error><Code>PermanentRedirect</Code><Message>The bucket '
                    "you are attempting to access must be addressed using the specified endpoint.</Message>"
                    f"<Endpoint>{BUCKET}.s3.{BUCKET_REGION}.amazonaws.com</Endpoint><Bucket>{BUCKET}</Bucket></Error>"
                ).encode()

            def _forward(self) -> int:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                upstream = http.client.HTTPConnection(target.hostname or "127.0.0.1", target.port, timeout=30)
                upstream.request(self.command, self.path, body=body, headers=dict(self.headers))
                response = upstream.getresponse()
                data = response.read()
                headers = {
                    k: v
                    for k, v in response.getheaders()
                    if k.lower() not in {"content-length", "transfer-encoding", "connection"}
                }
                return self._reply(response.status, data, headers)

            def _reply(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> int:
                self.send_response(status)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)
                return status

            do_GET = do_PUT = do_HEAD = do_POST = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def bucket_calls(self) -> list[Seen]:
        return [s for s in self.seen if s.path.strip("/").split("/")[0].split("?")[0] == BUCKET]


@pytest.fixture
def eu_bucket(aws: Any) -> tuple[bytes, Decimal]:
    """A legacy CUR delivery (the real sample) in a bucket created in eu-west-1; returns it and its total."""
    text = (SAMPLE / "sample-anonymous-aws-export-dataset.csv").read_text()
    total = sum((Decimal(r["lineItem/UnblendedCost"]) for r in csv.DictReader(io.StringIO(text))), Decimal(0))
    s3 = moto_client("s3", aws.url, region=BUCKET_REGION)
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": BUCKET_REGION})
    body = gzip.compress(text.encode())
    legacy_delivery_put(
        s3, bucket=BUCKET, root="cur/", name="daily", period="20231101-20231201",
        files={"daily-00001.csv.gz": body}, assembly_id="asm-1",
    )  # fmt: skip
    return body, total


@pytest.fixture
def regional(aws: Any, eu_bucket: Any, settings: Any) -> Iterator[RegionalS3]:
    proxy = RegionalS3(upstream=aws.url)
    settings.AWS_ENDPOINT_URL = proxy.start()
    settings.AWS_REGION = "us-east-1"  # our deployment's region
    yield proxy
    proxy.server.shutdown()


def check(org: Any) -> tuple[CostSource, IngestionJob, Decimal]:
    with tenant_context(org.organization):
        source = source_create(
            name="EU payer", role_arn=ROLE_ARN, bucket=BUCKET, prefix="cur", export_name="daily", format="auto"
        )
        outcome = source_check_run(source=source)
        assert outcome.ok, outcome.message
        source.refresh_from_db()
        job = IngestionJob.objects.get(source=source)
        total = DailyCostRollup.objects.filter(source=source).aggregate(t=Sum("unblended_cost"))["t"]
    return source, job, total


def test_the_bucket_region_is_found_with_get_bucket_location_and_used_for_every_call(
    regional: RegionalS3, eu_bucket: Any, org_a: Any
) -> None:
    source, job, total = check(org_a)

    assert source.region == BUCKET_REGION
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert total == eu_bucket[1]
    calls = regional.bucket_calls()
    assert "location" in calls[0].path
    # After the lookup every list and get was signed for the bucket's region: no redirect at all.
    assert [c.region for c in calls[1:]] == [BUCKET_REGION] * (len(calls) - 1)
    assert all(c.status == 200 for c in calls)


def test_without_get_bucket_location_the_region_comes_from_head_bucket(
    regional: RegionalS3, eu_bucket: Any, org_a: Any
) -> None:
    regional.deny_location = True  # a role made from the template before it allowed s3:GetBucketLocation

    source, job, total = check(org_a)

    assert source.region == BUCKET_REGION
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert total == eu_bucket[1]
    after_lookup = [c for c in regional.bucket_calls() if c.method != "HEAD" and "location" not in c.path]
    assert after_lookup and all((c.region, c.status) == (BUCKET_REGION, 200) for c in after_lookup)


def test_when_s3_will_not_say_the_calls_follow_botocores_region_redirect(
    regional: RegionalS3, eu_bucket: Any, org_a: Any
) -> None:
    regional.deny_location = True
    regional.head_without_region = True

    source, job, total = check(org_a)

    assert source.region == ""
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert total == eu_bucket[1]
    calls = [c for c in regional.bucket_calls() if c.method != "HEAD" and "location" not in c.path]
    redirected = [c for c in calls if c.status == 301]
    # Each call was first signed for our region, refused with a redirect, then re-signed for the bucket's.
    assert redirected and all(c.region == "us-east-1" for c in redirected)
    assert [c.region for c in calls if c.status == 200] == [BUCKET_REGION] * len(redirected)
