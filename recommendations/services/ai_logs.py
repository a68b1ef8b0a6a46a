"""Writes of AI call logs: one row per call to the model provider, with tokens, latency and estimated cost."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction

from recommendations.models import AiCallLog

MILLION = Decimal(1_000_000)


@dataclass(frozen=True)
class CallRecord:
    operation: str
    model_id: str
    status: str
    batch_size: int = 0
    request_id: str = ""
    service_tier: str = ""
    output_format: str = ""
    attempt: int = 1
    retries: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    latency_ms: int = 0
    error: str = ""
    batch_inference: bool = False


def estimated_cost(record: CallRecord) -> Decimal:
    """List price of the call in USD (settings' per-million prices; flex and batch at their discount)."""
    cost = (
        Decimal(record.input_tokens) * Decimal(settings.BEDROCK_PRICE_INPUT_PER_MTOK)
        + Decimal(record.output_tokens) * Decimal(settings.BEDROCK_PRICE_OUTPUT_PER_MTOK)
        + Decimal(record.cache_read_tokens) * Decimal(settings.BEDROCK_PRICE_CACHE_READ_PER_MTOK)
        + Decimal(record.cache_write_tokens) * Decimal(settings.BEDROCK_PRICE_CACHE_WRITE_PER_MTOK)
    ) / MILLION
    if record.batch_inference:
        cost *= Decimal(settings.BEDROCK_BATCH_PRICE_FACTOR)
    elif record.service_tier == "flex":
        cost *= Decimal(settings.BEDROCK_FLEX_PRICE_FACTOR)
    return cost.quantize(Decimal("0.00000001"))


@transaction.atomic
def ai_call_record(*, run_id: int | None, provider: str, record: CallRecord) -> AiCallLog:
    """Log one call (made or refused) to the model provider."""
    return AiCallLog.objects.create(
        run_id=run_id,
        provider=provider,
        operation=record.operation,
        model_id=record.model_id,
        request_id=record.request_id,
        service_tier=record.service_tier,
        output_format=record.output_format,
        attempt=record.attempt,
        retries=record.retries,
        batch_size=record.batch_size,
        input_tokens=record.input_tokens,
        output_tokens=record.output_tokens,
        cache_read_tokens=record.cache_read_tokens,
        cache_write_tokens=record.cache_write_tokens,
        latency_ms=record.latency_ms,
        estimated_cost=estimated_cost(record),
        status=record.status,
        error=record.error[:4000],
    )
