"""Large runs as a Bedrock batch inference job: the same Converse requests as JSONL in S3, at half price.

Bedrock processes the job asynchronously (hours at most); `services.batch_jobs.batch_job_collect`
reads the answers back, validates them like on-demand ones and asks again on demand for anything
missing or rejected. Until then the candidates keep a plain rationale and count as pending.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from django.conf import settings

from finops.aws.bedrock import AwsCallError, batch_input_put, batch_job_create
from finops.db import current_schema
from recommendations.ai.offline import template_rationale
from recommendations.ai.prompt import converse_request
from recommendations.ai.types import CandidateBrief
from recommendations.ai.writer import OnRationale, WriteOutcome
from recommendations.services.ai_logs import CallRecord, ai_call_record

if TYPE_CHECKING:
    from recommendations.ai.bedrock_writer import BedrockWriter


def is_worthwhile(candidates: int) -> bool:
    """Enough candidates (Bedrock wants 100+ records a job) and somewhere to put them."""
    configured = bool(settings.BEDROCK_BATCH_BUCKET and settings.BEDROCK_BATCH_ROLE_ARN)
    return configured and candidates >= settings.BEDROCK_BATCH_INFERENCE_THRESHOLD


def job_prefix(run_id: int | None) -> str:
    # Keys carry the schema: one organization's prompts never sit under another's prefix.
    return f"s3://{settings.BEDROCK_BATCH_BUCKET}/recommendations/{current_schema()}/run-{run_id}"


def records_for(
    briefs: list[CandidateBrief], *, run_id: int | None, size: int, max_tokens: int
) -> list[dict[str, Any]]:
    records = []
    for number, start in enumerate(range(0, len(briefs), size)):
        batch = briefs[start : start + size]
        records.append(
            {
                "recordId": f"R{run_id or 0:06d}B{number:05d}",
                "modelInput": converse_request(batch, output_format="json_schema", max_tokens=max_tokens),
                "ids": [brief.id for brief in batch],
            }
        )
    return records


def submit(briefs: list[CandidateBrief], *, writer: BedrockWriter, on_rationale: OnRationale) -> WriteOutcome:
    """Write the JSONL, create the job; on failure, fall back to on-demand calls right away."""
    records = records_for(briefs, run_id=writer.run_id, size=writer.batch_size, max_tokens=writer.max_tokens)
    prefix = job_prefix(writer.run_id)
    input_uri, output_uri = f"{prefix}/input.jsonl", f"{prefix}/output/"
    try:
        batch_input_put(uri=input_uri, records=[{k: r[k] for k in ("recordId", "modelInput")} for r in records])
        arn = batch_job_create(
            job_name=f"finops-{current_schema()}-run-{writer.run_id}"[:63],
            model_id=writer.model_id,
            role_arn=settings.BEDROCK_BATCH_ROLE_ARN,
            input_uri=input_uri,
            output_uri=output_uri,
            client_token=str(uuid.uuid5(uuid.NAMESPACE_URL, input_uri)),
        )
    except AwsCallError as error:
        ai_call_record(
            run_id=writer.run_id,
            provider="bedrock",
            record=CallRecord(
                operation="batch_job_create",
                model_id=writer.model_id,
                status="error",
                batch_size=len(briefs),
                error=f"{error}; answering on demand instead",
            ),
        )
        return writer.write_on_demand(briefs, on_rationale=on_rationale)
    ai_call_record(
        run_id=writer.run_id,
        provider="bedrock",
        record=CallRecord(
            operation="batch_job_create",
            model_id=writer.model_id,
            status="ok",
            batch_size=len(briefs),
            request_id=arn,
            error=f"{len(records)} records in {input_uri}",
        ),
    )
    for brief in briefs:
        on_rationale(brief.id, template_rationale(brief), "pending", "")
    return WriteOutcome(
        pending=len(briefs),
        service_tier="batch",
        batch_job_arn=arn,
        batch_job_keys=[{"record": r["recordId"], "ids": r["ids"], "input": input_uri} for r in records],
    )
