"""OpenTelemetry tracing: off without an OTLP endpoint; Django, psycopg and Celery spans with X-Ray trace ids.

The in-process tests record spans with an in-memory exporter and remove the instrumentation
afterwards. The worker test runs a real Celery worker that exports over OTLP/gRPC to a
collector stand-in in this process, as the ECS worker does to its ADOT sidecar.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from finops.tracing import configure_tracing


def _uninstrument() -> None:
    from opentelemetry.instrumentation.botocore import BotocoreInstrumentor
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor

    for instrumentor in (DjangoInstrumentor(), PsycopgInstrumentor(), CeleryInstrumentor(), BotocoreInstrumentor()):
        if instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.uninstrument()


@pytest.fixture
def spans(transactional_db: Any) -> Iterator[InMemorySpanExporter]:
    """Tracing on for this test only, into memory."""
    from django.db import connection

    exporter = InMemorySpanExporter()
    assert configure_tracing(exporter=exporter)
    # The next connection is opened through the instrumented psycopg.connect.
    connection.close()
    try:
        yield exporter
    finally:
        _uninstrument()
        connection.close()


def _is_xray_trace_id(trace_id: int) -> bool:
    """X-Ray ids begin with the epoch second they were made in (32 of their 128 bits)."""
    return abs((trace_id >> 96) - time.time()) < 3600


def _sql_children(all_spans: tuple[ReadableSpan, ...], parent: ReadableSpan) -> list[ReadableSpan]:
    return [
        span
        for span in all_spans
        if span.attributes
        and span.attributes.get("db.system") == "postgresql"
        and span.parent is not None
        and span.parent.span_id == parent.context.span_id
    ]


def test_a_request_makes_a_django_span_with_sql_spans_inside_it(
    spans: InMemorySpanExporter, committed_org: Any, client_for: Any
) -> None:
    acme = committed_org("acme")

    response = client_for(acme.owner, acme).get("/members/")

    assert response.status_code == 200
    finished = spans.get_finished_spans()
    (request_span,) = [s for s in finished if s.kind == SpanKind.SERVER]
    assert request_span.name == "GET members/"
    assert _is_xray_trace_id(request_span.context.trace_id)
    queries = _sql_children(finished, request_span)
    assert queries, [(s.name, s.kind, s.parent) for s in finished]
    assert {q.context.trace_id for q in queries} == {request_span.context.trace_id}


def test_a_task_makes_a_span_with_sql_spans_inside_it(spans: InMemorySpanExporter, committed_org: Any) -> None:
    from django_tenants.utils import tenant_context

    from tenants.tasks import schema_report

    acme = committed_org("acme")
    with tenant_context(acme.organization):
        assert schema_report.apply().get()["schema"] == "org_acme"

    finished = spans.get_finished_spans()
    (task_span,) = [s for s in finished if s.name == "run/tenants.tasks.schema_report"]
    assert _is_xray_trace_id(task_span.context.trace_id)
    assert _sql_children(finished, task_span)


def _wsgi_tracing_state(**env: str) -> dict[str, Any]:
    from django.conf import settings

    script = (
        "import json, finops.wsgi\n"
        "from django.conf import settings\n"
        "from opentelemetry import propagate, trace\n"
        "provider = trace.get_tracer_provider()\n"
        "print(json.dumps({'provider': type(provider).__name__,\n"
        "  'ids': type(getattr(provider, 'id_generator', None)).__name__,\n"
        "  'propagators': [type(p).__name__ for p in getattr(propagate.get_global_textmap(), '_propagators', [])],\n"
        "  'middleware': [m for m in settings.MIDDLEWARE if 'opentelemetry' in m]}))\n"
    )
    from finops.testing_env import subprocess_env

    result = subprocess.run(
        [sys.executable, "-c", script],
        env=subprocess_env(drop=[k for k in os.environ if k.startswith("OTEL_")], FINOPS_TESTING="1", **env),
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_the_web_process_traces_only_when_an_otlp_endpoint_is_set(db: Any) -> None:
    off = _wsgi_tracing_state()
    assert (off["provider"], off["middleware"]) == ("ProxyTracerProvider", [])
    assert "AwsXRayPropagator" not in off["propagators"]

    # Nothing is listening there: no span is made (no request), so nothing is sent.
    on = _wsgi_tracing_state(OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:9")
    assert on == {
        "provider": "TracerProvider",
        "ids": "AwsXRayIdGenerator",
        "propagators": ["AwsXRayPropagator", "TraceContextTextMapPropagator"],
        "middleware": ["opentelemetry.instrumentation.django.middleware.otel_middleware._DjangoMiddleware"],
    }


class _Collector:
    """Stands in for the ADOT sidecar: an OTLP/gRPC trace endpoint keeping what it receives."""

    def __init__(self) -> None:
        import grpc
        from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

        self.spans: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        collector = self

        class Service(trace_service_pb2_grpc.TraceServiceServicer):  # type: ignore[misc]
            def Export(self, request: Any, context: Any) -> Any:  # noqa: N802 (gRPC method name)
                collector._keep(request)
                return trace_service_pb2.ExportTraceServiceResponse()

        self.server = grpc.server(ThreadPoolExecutor(2))
        trace_service_pb2_grpc.add_TraceServiceServicer_to_server(Service(), self.server)
        self.port = self.server.add_insecure_port("127.0.0.1:0")
        self.server.start()

    def _keep(self, request: Any) -> None:
        with self._lock:
            for resource_spans in request.resource_spans:
                resource = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
                for scope_spans in resource_spans.scope_spans:
                    for span in scope_spans.spans:
                        attributes = {a.key: a.value.string_value for a in span.attributes}
                        self.spans.append({"service": resource.get("service.name"), "name": span.name,
                                           "trace_id": int.from_bytes(span.trace_id, "big"), "span_id": span.span_id,
                                           "parent": span.parent_span_id, "attributes": attributes})  # fmt: skip

    def received(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.spans)


@pytest.mark.worker
def test_a_worker_process_exports_task_spans_over_otlp(committed_org: Any, tmp_path: Path) -> None:
    from django.conf import settings
    from django_tenants.utils import tenant_context

    from finops.celery import app
    from finops.testing_env import subprocess_env
    from tenants.tasks import schema_report

    acme = committed_org("acme")
    collector = _Collector()
    queue = f"tracing-{os.getpid()}"
    node = f"tracing-{os.getpid()}@{socket.gethostname()}"
    env = subprocess_env(
        FINOPS_TESTING="1",
        OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{collector.port}",
        OTEL_BSP_SCHEDULE_DELAY="200",
    )
    log = tmp_path / "worker.log"
    command = [sys.executable, "-m", "celery", "-A", "finops", "worker", "-Q", queue, "--pool", "prefork",
               "--concurrency", "1", "--without-gossip", "--without-mingle", "-n", node]  # fmt: skip
    with log.open("wb") as out:
        worker = subprocess.Popen(command, env=env, cwd=settings.BASE_DIR, stdout=out, stderr=subprocess.STDOUT)
    try:
        with tenant_context(acme.organization):
            result = schema_report.apply_async(queue=queue)
        assert result.get(timeout=60)["schema"] == "org_acme"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any(
            s["name"] == "run/tenants.tasks.schema_report" for s in collector.received()
        ):
            time.sleep(0.1)
    finally:
        app.control.shutdown(destination=[node])
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
        collector.server.stop(0)

    received = collector.received()
    runs = [s for s in received if s["name"] == "run/tenants.tasks.schema_report"]
    assert runs, f"no task span arrived; worker log: {log.read_text()[-2000:]}"
    (run,) = runs
    assert run["service"] == "finops-worker"
    assert _is_xray_trace_id(run["trace_id"])
    sql = [s for s in received if s["parent"] == run["span_id"] and s["attributes"].get("db.system") == "postgresql"]
    assert sql, received
