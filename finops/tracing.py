"""OpenTelemetry traces of Django requests, SQL (psycopg), Celery tasks and AWS calls (botocore), for X-Ray.

In ECS an ADOT collector sidecar listens on localhost:4317 (OTLP/gRPC) and forwards to X-Ray;
the task sets OTEL_EXPORTER_OTLP_ENDPOINT to it. Without that variable nothing is set up, so
development and tests pay nothing. X-Ray only accepts trace ids that start with their epoch
second, hence the AWS id generator; the AWS propagator continues the trace the ALB started
(X-Amzn-Trace-Id) and carries it into Celery task headers. Other OTEL_* variables (service
name, sampler, batch delays) are read by the SDK itself.
"""

from __future__ import annotations

import os
import threading

from opentelemetry import propagate, trace
from opentelemetry.propagators.aws import AwsXRayPropagator
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.sdk.extension.aws.trace import AwsXRayIdGenerator
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

# Load balancer probes every few seconds would drown the traces that matter.
EXCLUDED_URLS = "healthz,readyz"

_lock = threading.Lock()
_provider: TracerProvider | None = None


def configure_tracing(*, service: str = "finops", exporter: SpanExporter | None = None) -> bool:
    """Trace this process when OTEL_EXPORTER_OTLP_ENDPOINT is set (or an `exporter` is given); True if on.

    Call it before the WSGI application is built (Django's middleware is added then) and in
    each Celery worker process after the fork. `exporter` replaces OTLP, for tests.
    """
    if exporter is None and not os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        return False
    global _provider
    with _lock:
        if _provider is None:
            _provider = _install_provider(service)
        if exporter is None:
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

            _provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        else:
            _provider.add_span_processor(SimpleSpanProcessor(exporter))
        _instrument(_provider)
    return True


def _install_provider(service: str) -> TracerProvider:
    # OTEL_SERVICE_NAME, when set, names the service; the argument is only the default.
    attributes = {} if os.environ.get("OTEL_SERVICE_NAME") else {SERVICE_NAME: service}
    if os.environ.get("APP_ENVIRONMENT"):
        attributes["deployment.environment"] = os.environ["APP_ENVIRONMENT"]
    provider = TracerProvider(resource=Resource.create(attributes), id_generator=AwsXRayIdGenerator())
    trace.set_tracer_provider(provider)
    propagate.set_global_textmap(CompositePropagator([AwsXRayPropagator(), TraceContextTextMapPropagator()]))
    return provider


def _instrument(provider: TracerProvider) -> None:
    from opentelemetry.instrumentation.botocore import BotocoreInstrumentor
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor

    # Each is a singleton that does nothing when already instrumented.
    for instrumentor, options in (
        (DjangoInstrumentor(), {"excluded_urls": EXCLUDED_URLS}),
        # No SQL commenter: statements reach the database (and its statistics) as Django wrote them.
        (PsycopgInstrumentor(), {"enable_commenter": False}),
        (CeleryInstrumentor(), {}),
        (BotocoreInstrumentor(), {}),
    ):
        if not instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.instrument(tracer_provider=provider, **options)
