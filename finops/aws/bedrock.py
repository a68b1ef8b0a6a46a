"""Amazon Bedrock: Converse and CountTokens (bedrock-runtime), batch inference jobs (bedrock) with JSONL in S3.

Typed results in, project exceptions out (AwsCallError). botocore's standard retry mode retries
throttling, 5xx and connection errors with jittered backoff; callers add their own limits on top.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings

from finops.aws import AwsCallError, call_error

# Errors worth another try later (botocore has already retried them a few times).
TRANSIENT_CODES = frozenset(
    {
        "ThrottlingException",
        "ServiceUnavailableException",
        "InternalServerException",
        "ModelTimeoutException",
        "ModelNotReadyException",
        "ReadTimeoutError",
        "ConnectTimeoutError",
        "EndpointConnectionError",
        "ConnectionClosedError",
    }
)


def is_transient(error: AwsCallError) -> bool:
    return error.code in TRANSIENT_CODES or (error.status is not None and (error.status >= 500 or error.status == 429))


@dataclass(frozen=True)
class ConverseResult:
    text: str  # the text blocks of the answer, joined
    tool_input: dict[str, Any] | None  # the first toolUse block's input, when the model used a tool
    stop_reason: str
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    latency_ms: int
    request_id: str
    service_tier: str
    retries: int = 0  # attempts botocore retried before this answer


@dataclass(frozen=True)
class BatchJob:
    arn: str
    status: str  # Submitted | InProgress | Completed | Failed | Stopping | Stopped | PartiallyCompleted | Expired | ...
    message: str
    output_uri: str


def _config(*, max_attempts: int, read_timeout: int) -> Config:
    return Config(
        retries={"max_attempts": max_attempts, "mode": "standard"},
        connect_timeout=5,
        read_timeout=read_timeout,
    )


def _client(service: str, *, max_attempts: int = 4, read_timeout: int | None = None) -> Any:
    return _cached_client(
        service,
        settings.BEDROCK_REGION,
        settings.BEDROCK_ENDPOINT_URL,
        max_attempts,
        read_timeout or settings.BEDROCK_READ_TIMEOUT_SECONDS,
    )


@lru_cache(maxsize=16)
def _cached_client(service: str, region: str, endpoint_url: str | None, max_attempts: int, read_timeout: int) -> Any:
    # Clients are thread-safe and costly to build (service model, credentials); sessions are not shared.
    return boto3.session.Session().client(
        service,
        region_name=region,
        endpoint_url=endpoint_url,
        config=_config(max_attempts=max_attempts, read_timeout=read_timeout),
    )


def _request_id(response: dict[str, Any]) -> str:
    return str(response.get("ResponseMetadata", {}).get("RequestId", ""))


def converse_result(response: dict[str, Any], *, latency_fallback_ms: int = 0) -> ConverseResult:
    """A Converse response body (from the API or a batch inference output line) as a ConverseResult."""
    blocks = response.get("output", {}).get("message", {}).get("content", []) or []
    text = "".join(block.get("text", "") for block in blocks if "text" in block)
    tool_input = next((block["toolUse"].get("input") for block in blocks if "toolUse" in block), None)
    usage = response.get("usage", {}) or {}
    return ConverseResult(
        text=text,
        tool_input=tool_input if isinstance(tool_input, dict) else None,
        stop_reason=str(response.get("stopReason", "")),
        input_tokens=int(usage.get("inputTokens", 0)),
        output_tokens=int(usage.get("outputTokens", 0)),
        cache_read_tokens=int(usage.get("cacheReadInputTokens", 0) or 0),
        cache_write_tokens=int(usage.get("cacheWriteInputTokens", 0) or 0),
        latency_ms=int((response.get("metrics", {}) or {}).get("latencyMs", latency_fallback_ms)),
        request_id=_request_id(response),
        service_tier=str((response.get("serviceTier") or {}).get("type", "")),
        retries=int(response.get("ResponseMetadata", {}).get("RetryAttempts", 0) or 0),
    )


def converse(
    *,
    model_id: str,
    request: dict[str, Any],
    max_attempts: int = 4,
    read_timeout: int | None = None,
) -> ConverseResult:
    """One Converse call; `request` is the body without modelId (system, messages, inferenceConfig, ...)."""
    try:
        response = _client("bedrock-runtime", max_attempts=max_attempts, read_timeout=read_timeout).converse(
            modelId=model_id, **request
        )
    except (ClientError, BotoCoreError) as error:
        raise call_error("bedrock:Converse", error) from error
    return converse_result(response)


def count_tokens(*, model_id: str, request: dict[str, Any]) -> int:
    """Input tokens the Converse request would use (free; needs the base model id, not a profile)."""
    converse_input = {key: request[key] for key in ("messages", "system", "toolConfig") if key in request}
    try:
        response = _client("bedrock-runtime").count_tokens(modelId=model_id, input={"converse": converse_input})
    except (ClientError, BotoCoreError) as error:
        raise call_error("bedrock:CountTokens", error) from error
    return int(response["inputTokens"])


def batch_job_create(
    *, job_name: str, model_id: str, role_arn: str, input_uri: str, output_uri: str, client_token: str
) -> str:
    """Submit a Converse-format batch inference job over the JSONL at `input_uri`; its ARN."""
    try:
        response = _client("bedrock").create_model_invocation_job(
            jobName=job_name,
            roleArn=role_arn,
            clientRequestToken=client_token,
            modelId=model_id,
            modelInvocationType="Converse",
            inputDataConfig={"s3InputDataConfig": {"s3Uri": input_uri, "s3InputFormat": "JSONL"}},
            outputDataConfig={"s3OutputDataConfig": {"s3Uri": output_uri}},
        )
    except (ClientError, BotoCoreError) as error:
        raise call_error("bedrock:CreateModelInvocationJob", error) from error
    return str(response["jobArn"])


def batch_job_get(*, job_arn: str) -> BatchJob:
    try:
        response = _client("bedrock").get_model_invocation_job(jobIdentifier=job_arn)
    except (ClientError, BotoCoreError) as error:
        raise call_error("bedrock:GetModelInvocationJob", error) from error
    return BatchJob(
        arn=str(response["jobArn"]),
        status=str(response.get("status", "")),
        message=str(response.get("message", "")),
        output_uri=str(response.get("outputDataConfig", {}).get("s3OutputDataConfig", {}).get("s3Uri", "")),
    )


def _s3() -> Any:
    # Our own bucket (not a customer's), reached with our task role; AWS_ENDPOINT_URL is moto in tests.
    return boto3.session.Session().client(
        "s3", region_name=settings.BEDROCK_REGION, endpoint_url=settings.AWS_ENDPOINT_URL
    )


def _split(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def batch_input_put(*, uri: str, records: list[dict[str, Any]]) -> None:
    """Write a batch inference input file: one {"recordId", "modelInput"} JSON object per line."""
    bucket, key = _split(uri)
    body = "\n".join(json.dumps(record, separators=(",", ":")) for record in records).encode()
    try:
        _s3().put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/jsonl")
    except (ClientError, BotoCoreError) as error:
        raise call_error("s3:PutObject", error) from error


def batch_output_read(*, output_uri: str, job_arn: str, input_uri: str) -> list[dict[str, Any]]:
    """The output lines of a finished job: `<output>/<job id>/<input file name>.out`."""
    bucket, prefix = _split(output_uri.rstrip("/") + "/")
    job_id = job_arn.rsplit("/", 1)[-1]
    key = f"{prefix}{job_id}/{input_uri.rsplit('/', 1)[-1]}.out"
    try:
        body = _s3().get_object(Bucket=bucket, Key=key)["Body"].read()
    except (ClientError, BotoCoreError) as error:
        raise call_error("s3:GetObject", error) from error
    return [json.loads(line) for line in body.decode().splitlines() if line.strip()]


__all__ = [
    "AwsCallError",
    "BatchJob",
    "ConverseResult",
    "batch_input_put",
    "batch_job_create",
    "batch_job_get",
    "batch_output_read",
    "converse",
    "converse_result",
    "count_tokens",
    "is_transient",
]
