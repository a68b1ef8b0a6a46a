"""Large runs as a Bedrock batch inference job: JSONL in S3 (moto over HTTP), the job on the local Bedrock
(the control plane is not in moto, so the local server serves CreateModelInvocationJob/GetModelInvocationJob)."""

from __future__ import annotations

import json

from django_tenants.utils import tenant_context

from finops.aws.bedrock_local import Action
from finops.aws.testing import moto_client
from recommendations.models import AiCallLog, Recommendation, RecommendationRun, RunStatus
from recommendations.services.batch_jobs import batch_job_collect
from recommendations.services.rationale import rationales_refresh
from recommendations.tests.crafted import stored

BUCKET = "finops-bedrock-batch"


def _configure(settings, bedrock, s3_server):
    settings.AWS_ENDPOINT_URL = s3_server
    settings.BEDROCK_BATCH_BUCKET = BUCKET
    settings.BEDROCK_BATCH_ROLE_ARN = "arn:aws:iam::123456789012:role/bedrock-batch"
    settings.BEDROCK_BATCH_INFERENCE_THRESHOLD = 30
    settings.BEDROCK_BATCH_SIZE = 20
    bedrock.s3_endpoint = s3_server
    s3 = moto_client("s3", s3_server)
    if BUCKET not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
        s3.create_bucket(Bucket=BUCKET)
    return s3


def test_a_large_run_goes_to_a_batch_job_and_is_collected_when_it_ends(org_a, bedrock, s3_server, settings):
    s3 = _configure(settings, bedrock, s3_server)
    bedrock.script.extend([Action("good"), Action("missing"), Action("good")])  # one record drops a candidate
    with tenant_context(org_a.organization):
        run = stored(45)
        outcome = rationales_refresh(run=run)
        run.status, run.batch_job_arn, run.batch_job_keys = (
            RunStatus.WAITING,
            outcome.batch_job_arn,
            outcome.batch_job_keys,
        )
        run.save()

        assert outcome.batch_job_arn.startswith("arn:aws:bedrock:") and outcome.pending == 45
        assert bedrock.converse_bodies() == []  # nothing on demand yet
        job_request = next(r for r in bedrock.requests if r.path == "/model-invocation-job")
        assert job_request.body["modelInvocationType"] == "Converse"
        input_uri = job_request.body["inputDataConfig"]["s3InputDataConfig"]["s3Uri"]
        assert input_uri == f"s3://{BUCKET}/recommendations/{org_a.organization.schema_name}/run-{run.pk}/input.jsonl"
        lines = s3.get_object(Bucket=BUCKET, Key=input_uri.split("/", 3)[3])["Body"].read().decode().splitlines()
        records = [json.loads(line) for line in lines]
        assert len(records) == 3 and all(set(r) == {"recordId", "modelInput"} for r in records)
        assert records[0]["modelInput"]["system"][-1] == {"cachePoint": {"type": "default"}}
        # Meanwhile every candidate shows a plain rationale.
        assert set(Recommendation.objects.values_list("rationale_source", flat=True)) == {"plain"}

        assert batch_job_collect(run_id=run.pk) == "waiting"  # the job is still in progress
        assert batch_job_collect(run_id=run.pk) == "collected"

        run.refresh_from_db()
        assert run.status == RunStatus.SUCCEEDED and run.rationales_written == 45
        assert set(Recommendation.objects.values_list("rationale_source", flat=True)) == {"ai"}
        records_logged = AiCallLog.objects.filter(run=run, operation="batch_record")
        assert records_logged.count() == 3
        assert records_logged.filter(status="invalid").count() == 1
        assert all(r.service_tier == "batch" and r.estimated_cost > 0 for r in records_logged)
        # The one candidate the job's answer left out was asked again on demand.
        assert len(bedrock.converse_bodies()) == 1


def test_a_failed_batch_job_is_answered_on_demand(org_a, bedrock, s3_server, settings):
    _configure(settings, bedrock, s3_server)
    with tenant_context(org_a.organization):
        run = stored(31)
        outcome = rationales_refresh(run=run)
        run.status, run.batch_job_arn, run.batch_job_keys = (
            RunStatus.WAITING,
            outcome.batch_job_arn,
            outcome.batch_job_keys,
        )
        run.save()
        bedrock.jobs[outcome.batch_job_arn].status = "Failed"

        assert batch_job_collect(run_id=run.pk) == "collected"
        run.refresh_from_db()
        assert run.status == RunStatus.SUCCEEDED and "ended as Failed" in run.error
        assert set(Recommendation.objects.values_list("rationale_source", flat=True)) == {"ai"}
        assert len(bedrock.converse_bodies()) == 2  # 31 candidates in batches of 20


def test_below_the_threshold_or_without_a_bucket_runs_stay_on_demand(org_a, bedrock, s3_server, settings):
    _configure(settings, bedrock, s3_server)
    settings.BEDROCK_BATCH_BUCKET = ""
    with tenant_context(org_a.organization):
        outcome = rationales_refresh(run=stored(31))
        assert outcome.batch_job_arn == "" and outcome.written == 31
        assert not RecommendationRun.objects.exclude(batch_job_arn="").exists()
