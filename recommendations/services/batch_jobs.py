"""Collecting a batch inference job's answers into the run that submitted it."""

from __future__ import annotations

import logging

from django.utils import timezone

from finops.aws.bedrock import AwsCallError, batch_job_get, batch_output_read, converse_result, is_transient
from recommendations import selectors
from recommendations.ai.bedrock_writer import PROVIDER, BedrockWriter
from recommendations.ai.types import CandidateBrief
from recommendations.ai.validation import MalformedAnswer, parse_answer, validate
from recommendations.models import Recommendation, RecommendationRun, RunStatus, RunTrigger
from recommendations.services.ai_logs import CallRecord, ai_call_record
from recommendations.services.rationale import rationale_callback

logger = logging.getLogger(__name__)
RUNNING = {"Submitted", "InProgress", "Validating", "Scheduled", "Stopping"}
FINISHED = {"Completed", "PartiallyCompleted"}


def _briefs(ids: list[str]) -> dict[str, tuple[Recommendation, CandidateBrief]]:
    pks = [int(i[1:]) for i in ids if i.startswith("r") and i[1:].isdigit()]
    return {
        selectors.brief_id(r): (r, selectors.brief_of(r))
        for r in Recommendation.objects.filter(pk__in=pks, is_active=True)
    }


def batch_job_collect(*, run_id: int) -> str:
    """ "waiting" while the job runs; "collected" once its answers (and any retries) are saved."""
    run = RecommendationRun.objects.filter(pk=run_id).first()
    if run is None or run.status != RunStatus.WAITING or not run.batch_job_arn:
        return "nothing to collect"
    try:
        job = batch_job_get(job_arn=run.batch_job_arn)
    except AwsCallError as failure:
        if is_transient(failure):
            return "waiting"
        job = None
        logger.warning("batch job %s could not be read: %s", run.batch_job_arn, failure)
    if job is not None and job.status in RUNNING:
        return "waiting"

    keys = run.batch_job_keys or []
    known = _briefs([brief_id for key in keys for brief_id in key["ids"]])
    writer = BedrockWriter(run_id=run.pk, nightly=run.trigger == RunTrigger.NIGHTLY)
    on_rationale = rationale_callback({brief_id: rec for brief_id, (rec, _brief) in known.items()})
    answered: set[str] = set()
    written = 0
    if job is not None and job.status in FINISHED:
        lines = (
            {
                line.get("recordId"): line
                for line in batch_output_read(output_uri=job.output_uri, job_arn=job.arn, input_uri=keys[0]["input"])
            }
            if keys
            else {}
        )
        for key in keys:
            briefs = [known[i][1] for i in key["ids"] if i in known]
            line = lines.get(key["record"])
            status, error, verdict = "error", "", None
            result = None
            if line is None:
                error = "record missing from the job output"
            elif "modelOutput" not in line:
                error = f"record failed: {line.get('error')}"
            else:
                result = converse_result(line["modelOutput"])
                try:
                    verdict = validate(parse_answer(text=result.text, tool_input=result.tool_input), briefs)
                    status = "ok" if not verdict.rejected and not verdict.unknown_ids else "invalid"
                    error = verdict.summary()
                except MalformedAnswer as problem:
                    status, error = "invalid", f"malformed answer: {problem}"
            ai_call_record(
                run_id=run.pk,
                provider=PROVIDER,
                record=CallRecord(
                    operation="batch_record",
                    model_id=writer.model_id,
                    status=status,
                    batch_size=len(briefs),
                    request_id=key["record"],
                    service_tier="batch",
                    output_format="json_schema",
                    input_tokens=result.input_tokens if result else 0,
                    output_tokens=result.output_tokens if result else 0,
                    cache_read_tokens=result.cache_read_tokens if result else 0,
                    cache_write_tokens=result.cache_write_tokens if result else 0,
                    error=error,
                    batch_inference=True,
                ),
            )
            if verdict is not None:
                for brief_id, rationale in verdict.accepted.items():
                    on_rationale(brief_id, rationale, "ai", writer.model_id)
                    answered.add(brief_id)
                    written += 1
    # Whatever the job did not answer acceptably gets its second chance on demand, then plain text.
    retry = [brief for brief_id, (_rec, brief) in known.items() if brief_id not in answered]
    outcome = writer.write_on_demand(retry, on_rationale=on_rationale, first_attempt=2) if retry else None
    run.rationales_written = written + (outcome.written if outcome else 0)
    run.rationales_pending = outcome.pending if outcome else 0
    run.status = RunStatus.SUCCEEDED
    run.finished_at = timezone.now()
    if job is None or job.status not in FINISHED:
        run.error = f"batch inference job ended as {job.status if job else 'unreadable'}; answered on demand"
    run.save()
    return "collected"
