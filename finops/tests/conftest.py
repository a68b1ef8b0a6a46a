from __future__ import annotations

from collections.abc import Iterator

import pytest

# The pgbouncer and the app behind it (test_pooled_isolation.py), kept in a module of their own.
from finops.tests.pooled import live_server_behind, pgbouncer, worker_behind  # noqa: F401


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """One local moto server (AWS over HTTP) for this test process; its URL.

    moto keeps state per process, not per server, so tests that need a clean slate reset it.
    """
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()
