"""Downloads survive S3's transient failures: botocore retries 503 SlowDown, our loop retries bodies cut short
and bodies corrupted on the way (FlexibleChecksumError).

A small HTTP proxy in front of moto injects the failures S3 really produces. For corruption
it flips one byte of moto's real response body and passes moto's `x-amz-checksum-crc32`
header through unchanged, so botocore's own response checksum validation finds the mismatch
(no exception is raised by hand).
"""

from __future__ import annotations

import http.client
import io
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest

from finops.aws import AwsCallError
from finops.aws import s3 as aws_s3

BODY = bytes(range(256)) * 8192  # 2 MiB, several download chunks
SLOWDOWN = (
    b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code>'
    b"<Message>Please reduce your request rate.</Message></Error>"
)
DENIED = (
    b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>'
)


class FaultyProxy:
    """Forwards to moto; the first GETs of the target key fail in the ways listed in `faults`.

    `repeat` is the fault for every GET once `faults` is used up ("" for none).
    """

    def __init__(self, upstream: str, target: str = "/bucket/big.bin") -> None:
        self.upstream = urlsplit(upstream)
        self.target = target
        self.faults: list[str] = []
        self.repeat = ""
        self.checksums_seen: list[str] = []
        self.gets = 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _forward(self) -> None:
                fault = ""
                if self.command == "GET" and self.path.startswith(proxy.target):
                    proxy.gets += 1
                    fault = proxy.faults.pop(0) if proxy.faults else proxy.repeat
                    if fault == "slowdown":
                        return self._reply(503, SLOWDOWN)
                    if fault == "denied":
                        return self._reply(403, DENIED)
                    if fault == "cut":
                        self.send_response(200)
                        self.send_header("Content-Length", str(len(BODY)))
                        self.end_headers()
                        self.wfile.write(BODY[: len(BODY) // 3])
                        self.wfile.flush()
                        self.close_connection = True
                        return None
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                upstream = http.client.HTTPConnection(
                    proxy.upstream.hostname or "127.0.0.1", proxy.upstream.port, timeout=30
                )
                upstream.request(self.command, self.path, body=body, headers=dict(self.headers))
                response = upstream.getresponse()
                data = response.read()
                if fault == "corrupt":
                    proxy.checksums_seen.append(response.getheader("x-amz-checksum-crc32") or "")
                    flipped = bytearray(data)
                    flipped[len(flipped) // 2] ^= 0x01
                    data = bytes(flipped)
                self.send_response(response.status)
                for key, value in response.getheaders():
                    if key.lower() not in {"content-length", "transfer-encoding", "connection"}:
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return None

            def _reply(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_PUT = do_HEAD = do_POST = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def proxy(aws: Any, settings: Any) -> Iterator[FaultyProxy]:
    # moto_client uploads with a CRC32 checksum (botocore's default), as AWS's own writers do;
    # moto then returns it as x-amz-checksum-crc32 and botocore validates the body against it.
    aws.client("s3").create_bucket(Bucket="bucket")
    aws.client("s3").put_object(Bucket="bucket", Key="big.bin", Body=BODY)
    faulty = FaultyProxy(aws.url)
    settings.AWS_ENDPOINT_URL = faulty.url
    yield faulty
    faulty.server.shutdown()


def test_slowdown_and_a_body_cut_short_are_retried_until_the_file_is_whole(proxy: FaultyProxy) -> None:
    proxy.faults = ["slowdown", "slowdown", "cut", "slowdown"]
    pauses: list[float] = []
    out = io.BytesIO()

    size = aws_s3.download(credentials=None, bucket="bucket", key="big.bin", dest=out, sleep=pauses.append)

    assert size == len(BODY)
    assert out.getvalue() == BODY
    assert proxy.gets == 5  # 2 SlowDown (botocore), 1 cut body (ours), 1 SlowDown (botocore), 1 good
    assert len(pauses) == 1  # our own backoff ran once, for the cut body


def test_access_denied_is_not_retried(proxy: FaultyProxy) -> None:
    proxy.faults = ["denied"]
    with pytest.raises(AwsCallError) as raised:
        aws_s3.download(credentials=None, bucket="bucket", key="big.bin", dest=io.BytesIO(), sleep=lambda s: None)
    assert raised.value.code == "AccessDenied"
    assert proxy.gets == 1


def test_our_retries_give_up_after_the_last_attempt(proxy: FaultyProxy) -> None:
    proxy.faults = ["cut"] * 3
    pauses: list[float] = []
    with pytest.raises(AwsCallError):
        aws_s3.download(
            credentials=None, bucket="bucket", key="big.bin", dest=io.BytesIO(), attempts=3, sleep=pauses.append
        )
    assert proxy.gets == 3
    assert len(pauses) == 2
    # Exponential backoff with jitter: 0.5 s then 1 s, each scaled by a factor in [0.5, 1).
    assert 0.25 <= pauses[0] < 0.5 <= pauses[1] < 1.0


def test_a_corrupted_body_is_downloaded_again_until_it_matches_its_checksum(proxy: FaultyProxy) -> None:
    proxy.faults = ["corrupt", "corrupt"]
    pauses: list[float] = []
    out = io.BytesIO()

    size = aws_s3.download(credentials=None, bucket="bucket", key="big.bin", dest=out, sleep=pauses.append)

    assert out.getvalue() == BODY
    assert size == len(BODY)
    assert proxy.gets == 3
    assert len(pauses) == 2
    # The corruption was real: moto sent a checksum with the body we altered.
    assert all(proxy.checksums_seen) and len(proxy.checksums_seen) == 2


def test_a_body_corrupted_every_time_fails_saying_so(proxy: FaultyProxy) -> None:
    proxy.repeat = "corrupt"
    with pytest.raises(AwsCallError) as raised:
        aws_s3.download(
            credentials=None, bucket="bucket", key="big.bin", dest=io.BytesIO(), attempts=3, sleep=lambda s: None
        )
    assert raised.value.code == "FlexibleChecksumError"
    assert "did not match" in raised.value.message
    assert raised.value.message.endswith("(gave up after 3 attempts)")
    assert proxy.gets == 3


def test_a_delivery_file_corrupted_on_every_attempt_fails_its_job_naming_the_file(
    aws: Any, org_a: Any, settings: Any
) -> None:
    from django_tenants.utils import tenant_context

    from costs.models import IngestionJob, JobStatus
    from costs.services.checks import source_check_run
    from costs.services.sources import source_create
    from costs.tests.conftest import ROLE_ARN, legacy_delivery_put

    s3 = aws.client("s3")
    s3.create_bucket(Bucket="acme-billing")
    legacy_delivery_put(
        s3, bucket="acme-billing", root="cur/", name="daily", period="20231101-20231201",
        files={"daily-1.csv.gz": BODY}, assembly_id="asm-1",
    )  # fmt: skip
    key = "cur/daily/20231101-20231201/asm-1/daily-1.csv.gz"
    faulty = FaultyProxy(aws.url, target=f"/acme-billing/{key}")
    faulty.repeat = "corrupt"
    settings.AWS_ENDPOINT_URL = faulty.url
    try:
        with tenant_context(org_a.organization):
            source = source_create(
                name="Payer", role_arn=ROLE_ARN, bucket="acme-billing", prefix="cur", export_name="daily", format="auto"
            )
            outcome = source_check_run(source=source)
            job = IngestionJob.objects.get(source=source)
    finally:
        faulty.server.shutdown()

    assert faulty.gets == 5  # the download's five attempts, each corrupted
    assert job.status == JobStatus.FAILED
    assert job.error.startswith(f"Could not download s3://acme-billing/{key}: the file arrived corrupted every time")
    assert "(gave up after 5 attempts)" in job.error
    assert not outcome.ok
