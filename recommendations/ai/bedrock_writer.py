"""Rationale from Amazon Bedrock (Claude): batches, structured output, validation, retries, limits, logs.

How a run goes:
1. Briefs are cut into batches (BEDROCK_BATCH_SIZE); very large runs go to a batch inference job.
2. Each batch: CountTokens, reserve that plus the output cap from the monthly budget, take one of the
   organization's call slots, Converse (flex tier at night), parse and validate the answer.
3. Throttling, 5xx and timeouts are retried by botocore, then by us with full-jitter backoff; a batch
   that still fails leaves its candidates pending for the next run (never lost, never half-written).
4. Entries rejected by validation (missing, malformed, contradicting numbers) are asked again once,
   together; rejected twice, a candidate gets the plain template rationale instead.
Threads only talk HTTP; the database is written from the calling thread (logs, rationale).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from django.conf import settings

from finops.aws.bedrock import AwsCallError, ConverseResult, converse, count_tokens, is_transient
from recommendations.ai.limits import SlotTimeout, TokenBudget, organization_slots
from recommendations.ai.offline import template_rationale
from recommendations.ai.prompt import base_model_id, converse_request
from recommendations.ai.types import CandidateBrief
from recommendations.ai.validation import MalformedAnswer, Verdict, parse_answer, validate
from recommendations.ai.writer import OnRationale, WriteOutcome
from recommendations.selectors import ai_usage_this_month
from recommendations.services.ai_logs import CallRecord, ai_call_record

logger = logging.getLogger(__name__)
PROVIDER = "bedrock"
# Where a ValidationException says the model lacks a feature we asked for.
_NO_OUTPUT_CONFIG = ("outputconfig", "textformat", "json_schema", "structured output")
_NO_FLEX = ("flex", "servicetier", "service tier")


def backoff_delay(attempt: int, *, base: float, rng: random.Random) -> float:
    """Full jitter: uniform between 0 and base × 2^(attempt-1), so retrying workers spread out."""
    return rng.uniform(0, base * 2 ** (attempt - 1))


def chunks(briefs: list[CandidateBrief], size: int) -> list[list[CandidateBrief]]:
    return [briefs[i : i + size] for i in range(0, len(briefs), max(1, size))]


@dataclass
class BatchOutcome:
    briefs: list[CandidateBrief]
    records: list[CallRecord] = field(default_factory=list)
    verdict: Verdict | None = None
    pending_reason: str = ""  # transient failure, budget or slot: try again next run


class BedrockWriter:
    def __init__(self, *, run_id: int | None, nightly: bool) -> None:
        self.run_id = run_id
        self.model_id = settings.BEDROCK_MODEL_ID
        self.batch_size = settings.BEDROCK_BATCH_SIZE
        self.max_tokens = settings.BEDROCK_MAX_OUTPUT_TOKENS
        self.output_format = "json_schema"
        self.service_tier = "flex" if nightly and settings.BEDROCK_FLEX_FOR_NIGHTLY else ""
        self.slots = organization_slots()
        used = ai_usage_this_month()
        spent = sum(int(used[k]) for k in ("input", "output", "cache_read", "cache_write"))
        self.budget = TokenBudget(remaining=max(0, settings.BEDROCK_MONTHLY_TOKEN_BUDGET - spent))
        self.lock = threading.Lock()
        self.rng = random.Random()

    # -- the run --------------------------------------------------------------------------------
    def write_all(self, briefs: list[CandidateBrief], *, on_rationale: OnRationale) -> WriteOutcome:
        if not briefs:
            return WriteOutcome(service_tier=self.service_tier)
        from recommendations.ai import batch_inference

        if batch_inference.is_worthwhile(len(briefs)):
            return batch_inference.submit(briefs, writer=self, on_rationale=on_rationale)
        return self.write_on_demand(briefs, on_rationale=on_rationale)

    def write_on_demand(
        self, briefs: list[CandidateBrief], *, on_rationale: OnRationale, first_attempt: int = 1
    ) -> WriteOutcome:
        outcome = WriteOutcome()
        retry: list[CandidateBrief] = []
        for batch in self._run(chunks(briefs, self.batch_size), attempt=first_attempt):
            self._settle(batch, on_rationale, outcome, retry=retry if first_attempt == 1 else None)
        if retry:
            for batch in self._run(chunks(retry, self.batch_size), attempt=first_attempt + 1):
                self._settle(batch, on_rationale, outcome, retry=None)
        outcome.service_tier = self.service_tier
        return outcome

    def _settle(
        self,
        batch: BatchOutcome,
        on_rationale: OnRationale,
        outcome: WriteOutcome,
        *,
        retry: list[CandidateBrief] | None,
    ) -> None:
        """Log the calls, save what was accepted, queue the rejected for one more try (or plain text)."""
        for record in batch.records:
            ai_call_record(run_id=self.run_id, provider=PROVIDER, record=record)
        if batch.verdict is None:
            for brief in batch.briefs:
                on_rationale(brief.id, template_rationale(brief), "pending", "")
            outcome.pending += len(batch.briefs)
            return
        for brief_id, rationale in batch.verdict.accepted.items():
            on_rationale(brief_id, rationale, "ai", self.model_id)
            outcome.written += 1
        rejected = [brief for brief in batch.briefs if brief.id in batch.verdict.rejected]
        if retry is not None:
            retry.extend(rejected)
            return
        for brief in rejected:
            on_rationale(brief.id, template_rationale(brief), "plain", "")
            outcome.written += 1

    def _run(self, batches: list[list[CandidateBrief]], *, attempt: int) -> list[BatchOutcome]:
        if not batches:
            return []
        workers = max(1, min(settings.BEDROCK_ORGANIZATION_CONCURRENCY, len(batches)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bedrock") as pool:
            futures: list[Future[BatchOutcome]] = [pool.submit(self._batch, batch, attempt) for batch in batches]
            return [future.result() for future in futures]

    # -- one batch (in a worker thread: HTTP only) ------------------------------------------------
    def _batch(self, briefs: list[CandidateBrief], attempt: int) -> BatchOutcome:
        outcome = BatchOutcome(briefs=briefs)
        request = self._request(briefs)
        tokens = self._count(request, outcome)
        reserved = tokens + self.max_tokens
        if not self.budget.reserve(reserved):
            outcome.pending_reason = "monthly token budget exhausted"
            outcome.records.append(
                CallRecord(
                    operation="converse",
                    model_id=self.model_id,
                    status="skipped",
                    batch_size=len(briefs),
                    attempt=attempt,
                    error=f"not sent: monthly token budget ({settings.BEDROCK_MONTHLY_TOKEN_BUDGET:,}) would be exceeded",
                )
            )
            return outcome
        used = 0
        try:
            result = self._converse_with_retries(briefs, attempt, outcome)
            if result is None:
                return outcome
            used = result.input_tokens + result.output_tokens + result.cache_read_tokens + result.cache_write_tokens
            try:
                items = parse_answer(text=result.text, tool_input=result.tool_input)
            except MalformedAnswer as error:
                outcome.verdict = Verdict(rejected={b.id: f"malformed answer: {error}" for b in briefs})
                outcome.records[-1] = _with(outcome.records[-1], status="invalid", error=f"malformed answer: {error}")
                return outcome
            outcome.verdict = validate(items, briefs)
            if outcome.verdict.rejected or outcome.verdict.unknown_ids:
                outcome.records[-1] = _with(outcome.records[-1], status="invalid", error=outcome.verdict.summary())
            return outcome
        finally:
            self.budget.settle(reserved=reserved, used=used)

    def _request(self, briefs: list[CandidateBrief]) -> dict[str, object]:
        with self.lock:
            fmt, tier = self.output_format, self.service_tier
        return converse_request(briefs, output_format=fmt, max_tokens=self.max_tokens, service_tier=tier)

    def _count(self, request: dict[str, object], outcome: BatchOutcome) -> int:
        started = time.monotonic()
        try:
            tokens = count_tokens(model_id=base_model_id(self.model_id), request=dict(request))
        except AwsCallError as error:
            # Counting is only for budgeting: fall back to a generous estimate and say so.
            tokens = len(str(request)) // 3
            outcome.records.append(
                CallRecord(
                    operation="count_tokens",
                    model_id=base_model_id(self.model_id),
                    status="error",
                    batch_size=len(outcome.briefs),
                    latency_ms=int((time.monotonic() - started) * 1000),
                    error=str(error),
                )
            )
            return tokens
        outcome.records.append(
            CallRecord(
                operation="count_tokens",
                model_id=base_model_id(self.model_id),
                status="ok",
                batch_size=len(outcome.briefs),
                input_tokens=tokens,
                latency_ms=int((time.monotonic() - started) * 1000),
            )
        )
        return tokens

    def _converse_with_retries(
        self, briefs: list[CandidateBrief], attempt: int, outcome: BatchOutcome
    ) -> ConverseResult | None:
        tries = 0
        while True:
            tries += 1
            request = self._request(briefs)
            started = time.monotonic()
            try:
                with self.slots.slot():
                    result = converse(model_id=self.model_id, request=dict(request), max_attempts=2)
            except SlotTimeout as error:
                outcome.pending_reason = str(error)
                outcome.records.append(self._failure(request, briefs, attempt, started, str(error), "skipped"))
                return None
            except AwsCallError as error:
                outcome.records.append(self._failure(request, briefs, attempt, started, str(error), "error"))
                if error.code == "ValidationException" and self._drop_unsupported(request, error):
                    continue  # the same batch again without the feature the model lacks
                if is_transient(error) and tries < settings.BEDROCK_RETRY_ATTEMPTS:
                    time.sleep(backoff_delay(tries, base=settings.BEDROCK_RETRY_BASE_SECONDS, rng=self.rng))
                    continue
                outcome.pending_reason = str(error)
                return None
            outcome.records.append(
                CallRecord(
                    operation="converse",
                    model_id=self.model_id,
                    status="ok",
                    batch_size=len(briefs),
                    request_id=result.request_id,
                    service_tier=result.service_tier or _tier(request),
                    output_format="tool" if "toolConfig" in request else "json_schema",
                    attempt=attempt,
                    retries=result.retries,
                    input_tokens=result.input_tokens,
                    output_tokens=result.output_tokens,
                    cache_read_tokens=result.cache_read_tokens,
                    cache_write_tokens=result.cache_write_tokens,
                    latency_ms=result.latency_ms or int((time.monotonic() - started) * 1000),
                )
            )
            return result

    def _failure(
        self,
        request: dict[str, object],
        briefs: list[CandidateBrief],
        attempt: int,
        started: float,
        error: str,
        status: str,
    ) -> CallRecord:
        return CallRecord(
            operation="converse",
            model_id=self.model_id,
            status=status,
            batch_size=len(briefs),
            service_tier=_tier(request),
            output_format="tool" if "toolConfig" in request else "json_schema",
            attempt=attempt,
            latency_ms=int((time.monotonic() - started) * 1000),
            error=error,
        )

    def _drop_unsupported(self, request: dict[str, object], error: AwsCallError) -> bool:
        """Structured output or the flex tier refused by this model: stop asking for it this run."""
        message = error.message.lower().replace(" ", "")
        with self.lock:
            if "outputConfig" in request and any(word.replace(" ", "") in message for word in _NO_OUTPUT_CONFIG):
                self.output_format = "tool"
                return True
            if "serviceTier" in request and any(word.replace(" ", "") in message for word in _NO_FLEX):
                self.service_tier = ""
                return True
        return False


def _with(record: CallRecord, **changes: object) -> CallRecord:
    return replace(record, **changes)  # type: ignore[arg-type]


def _tier(request: dict[str, object]) -> str:
    tier = request.get("serviceTier")
    return str(tier.get("type", "")) if isinstance(tier, dict) else ""
