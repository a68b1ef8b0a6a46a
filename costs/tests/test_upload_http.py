"""Uploads against a real gunicorn, byte by byte on a raw socket (issue 16 item 4).

The server runs this test's database and Redis (finops/testing_env.py), a 4 MB upload limit,
and its own TMPDIR, so any temporary file an upload leaves behind is seen. Requests are
written by hand: a Content-Length over the limit sent without its body, a chunked body, a
Content-Length that lies, a file over the limit inside an honest length, and a worker
killed (SIGKILL) in the middle of an upload.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django_tenants.utils import tenant_context

from costs.models import IngestionJob
from finops.testing_env import subprocess_env

LIMIT = 4 * 1024 * 1024
CSRF = "a" * 32  # a CSRF secret of our own, sent as the cookie and the form field
BOUNDARY = "----finops-test-boundary"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, process: subprocess.Popen[bytes], port: int, tmpdir: Path, media: Path) -> None:
        self.process, self.port, self.tmpdir, self.media = process, port, tmpdir, media

    def worker_pids(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True).stdout
        return [int(pid) for pid in out.split()]

    def temp_files(self) -> list[str]:
        return sorted(str(p) for p in self.tmpdir.rglob("*") if p.is_file())


@pytest.fixture
def server(transactional_db: Any, tmp_path: Path) -> Iterator[Server]:
    port = free_port()
    tmpdir, media = tmp_path / "tmp", tmp_path / "media"
    tmpdir.mkdir()
    media.mkdir()
    env = subprocess_env(COST_UPLOAD_MAX_BYTES=str(LIMIT), TMPDIR=str(tmpdir), MEDIA_ROOT=str(media))
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "finops.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--timeout",
            "120",
            "--worker-tmp-dir",  # gunicorn's heartbeat file, kept out of the TMPDIR watched here
            "/dev/shm" if os.path.isdir("/dev/shm") else str(tmp_path),  # noqa: S108
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)  # noqa: S310 (loopback)
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("gunicorn did not start")
        yield Server(process, port, tmpdir, media)
    finally:
        process.terminate()
        process.wait(timeout=30)


def session_cookie(world: Any) -> str:
    client = Client(HTTP_HOST=world.host)
    client.force_login(world.owner)
    return f"sessionid={client.cookies['sessionid'].value}; csrftoken={CSRF}"


def multipart(name: str, content: bytes) -> tuple[bytes, bytes]:
    """(head, tail) of a multipart body whose file part is `content`: the token comes first, as in our form."""
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n{CSRF}\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="format"\r\n\r\nauto\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode()
    return head + content, f"\r\n--{BOUNDARY}--\r\n".encode()


def request_head(world: Any, headers: dict[str, str]) -> bytes:
    lines = [
        "POST /cloud-accounts/upload/ HTTP/1.1",
        f"Host: {world.host}",
        f"Cookie: {session_cookie(world)}",
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def read_answer(sock: socket.socket) -> tuple[int, str]:
    sock.settimeout(30)
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except (ConnectionResetError, TimeoutError):
        pass  # the server closed on a body it would not read; what came before counts
    text = data.decode("utf-8", "replace")
    assert text.startswith("HTTP/1."), f"no HTTP answer: {text[:200]!r}"
    return int(text.split()[1]), text


def send(server: Server, head: bytes, *parts: bytes) -> tuple[int, str]:
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(head)
        for part in parts:
            try:
                sock.sendall(part)
            except (BrokenPipeError, ConnectionResetError):
                break  # the server answered and closed without reading the rest
        return read_answer(sock)


def csv_bytes(size: int) -> bytes:
    line = b"lineItem/UsageStartDate,lineItem/UnblendedCost\n"
    return (line * (size // len(line) + 1))[:size]


def assert_nothing_kept(server: Server, world: Any) -> None:
    assert server.temp_files() == []
    assert [p for p in server.media.rglob("*") if p.is_file()] == []
    with tenant_context(world.organization):
        assert not IngestionJob.objects.exists()


def test_a_content_length_over_the_limit_is_refused_before_the_body_is_sent(server: Server, committed_org: Any) -> None:
    acme = committed_org("acme")
    # Only the headers go out: the answer must come without the server reading any body.
    status, text = send(server, request_head(acme, {"Content-Length": str(600 * 1024 * 1024)}))
    assert status == 413
    assert "600.0 MB; the upload limit is 4 MB" in text
    assert_nothing_kept(server, acme)


def test_a_chunked_body_without_length_is_refused_with_a_reason(server: Server, committed_org: Any) -> None:
    acme = committed_org("acme")
    body, tail = multipart("bill.csv", csv_bytes(6 * 1024 * 1024))
    chunks = [
        f"{len(p):x}\r\n".encode() + p + b"\r\n" for p in (body[i : i + 65536] for i in range(0, len(body), 65536))
    ]
    status, text = send(server, request_head(acme, {"Transfer-Encoding": "chunked"}), *chunks, b"0\r\n\r\n")
    assert status == 411
    assert "no Content-Length" in text and "at most 4 MB" in text
    assert_nothing_kept(server, acme)


def test_a_file_over_the_limit_inside_an_honest_length_is_stopped_at_the_limit(
    server: Server, committed_org: Any
) -> None:
    acme = committed_org("acme")
    body, tail = multipart("bill.csv", csv_bytes(LIMIT + 512 * 1024))
    status, text = send(server, request_head(acme, {"Content-Length": str(len(body) + len(tail))}), body, tail)
    assert status == 413
    assert "bill.csv: the upload is larger than the 4 MB upload limit; it was stopped there" in text
    assert_nothing_kept(server, acme)


def test_a_content_length_that_lies_short_stores_nothing(server: Server, committed_org: Any) -> None:
    acme = committed_org("acme")
    body, tail = multipart("bill.csv", csv_bytes(3 * 1024 * 1024))
    declared = len(body) // 2  # the server reads this much, and the file part never ends
    status, text = send(server, request_head(acme, {"Content-Length": str(declared)}), body, tail)
    assert status == 413
    assert "The upload ended before its last byte" in text
    assert_nothing_kept(server, acme)


def test_a_worker_killed_mid_upload_leaves_no_temporary_file(server: Server, committed_org: Any) -> None:
    acme = committed_org("acme")
    body, tail = multipart("bill.csv", csv_bytes(LIMIT - 1024))
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(request_head(acme, {"Content-Length": str(len(body) + len(tail))}))
        sock.sendall(body[: 3 * 1024 * 1024])  # past the 2.5 MB kept in memory: the rest goes to a temp file
        (worker,) = server.worker_pids()
        fd_dir = Path(f"/proc/{worker}/fd")
        for _ in range(300):  # until the worker holds the upload's temporary file
            targets = [os.readlink(fd) for fd in fd_dir.iterdir() if fd.exists()]
            held = [t for t in targets if t.startswith(str(server.tmpdir)) and "wgunicorn" not in t]
            if held:
                break
            time.sleep(0.1)
        assert held, "the worker never opened a temporary file for the upload"
        print("the upload's temporary file, as the worker holds it:", held)
        os.kill(worker, signal.SIGKILL)
        server.process.poll()
    for _ in range(100):  # gunicorn replaces the worker; what it left must be gone with it
        if not Path(f"/proc/{worker}").exists():
            break
        time.sleep(0.1)
    assert server.temp_files() == []
    with tenant_context(acme.organization):
        assert not IngestionJob.objects.exists()


def test_an_upload_within_the_limit_is_stored_and_leaves_no_temporary_file(
    server: Server, committed_org: Any, monkeypatch: Any
) -> None:
    acme = committed_org("acme")
    body, tail = multipart("bill.csv", csv_bytes(3 * 1024 * 1024))
    status, text = send(server, request_head(acme, {"Content-Length": str(len(body) + len(tail))}), body, tail)
    assert status == 302, text[:500]
    assert server.temp_files() == []
    with tenant_context(acme.organization):
        job = IngestionJob.objects.get()
        assert job.bytes_total == 3 * 1024 * 1024
    stored = list(server.media.rglob("bill.csv"))
    assert len(stored) == 1 and stored[0].stat().st_size == 3 * 1024 * 1024
