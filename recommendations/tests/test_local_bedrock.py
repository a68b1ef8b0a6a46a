"""The local Bedrock itself: it insists on SigV4 and speaks the error wire format botocore expects."""

from __future__ import annotations

import json

import pytest
import requests

from finops.aws.bedrock_local import THROTTLE, runtime_client

MESSAGES = [{"role": "user", "content": [{"text": "hello"}]}]
MODEL = "us.anthropic.claude-sonnet-4-6"


def test_unsigned_and_wrongly_signed_requests_are_refused(bedrock_server):
    unsigned = requests.post(
        f"{bedrock_server.url}/model/m/converse", data=json.dumps({"messages": MESSAGES}), timeout=5
    )
    assert unsigned.status_code == 403
    assert unsigned.headers["x-amzn-ErrorType"].startswith("MissingAuthenticationTokenException")

    wrong = runtime_client(bedrock_server.url, secret_key="not-the-secret")
    with pytest.raises(Exception) as refused:
        wrong.converse(modelId=MODEL, messages=MESSAGES)
    assert refused.value.response["Error"]["Code"] == "InvalidSignatureException"  # type: ignore[attr-defined]


def test_scripted_throttling_reaches_botocore_as_a_throttling_exception(bedrock_server):
    bedrock_server.reset()
    bedrock_server.script.append(THROTTLE)
    client = runtime_client(bedrock_server.url, total_attempts=1)
    with pytest.raises(Exception) as throttled:
        client.converse(modelId=MODEL, messages=MESSAGES)
    response = throttled.value.response  # type: ignore[attr-defined]
    assert response["Error"]["Code"] == "ThrottlingException"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 429
    answer = client.converse(modelId=MODEL, messages=MESSAGES)
    assert answer["stopReason"] == "end_turn" and answer["usage"]["inputTokens"] > 0
