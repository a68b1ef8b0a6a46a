"""Downloads survive S3's transient failures: botocore retries 503 SlowDown, our loop retries bodies cut short.

A small HTTP proxy in front of moto injects the failures S3 really produces.
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
    """Forwards to moto; the first GETs of the target key fail in the ways listed in `faults`."""

    def __init__(self, upstream: str) -> None:
        self.upstream = urlsplit(upstream)
        self.faults: list[str] = []
        self.gets = 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _forward(self) -> None:
                if self.command == "GET" and self.path.startswith("/bucket/big.bin"):
                    proxy.gets += 1
                    fault = proxy.faults.pop(0) if proxy.faults else ""
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
