"""The local Bedrock itself: it insists on SigV4 and speaks the error wire format botocore expects."""

from __future__ import annotations

import json

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from finops.aws.bedrock_local import THROTTLE

MESSAGES = [{"role": "user", "content": [{"text": "hello"}]}]


def test_unsigned_and_wrongly_signed_requests_are_refused(bedrock_server):
    unsigned = requests.post(
        f"{bedrock_server.url}/model/m/converse", data=json.dumps({"messages": MESSAGES}), timeout=5
    )
    assert unsigned.status_code == 403
    assert unsigned.headers["x-amzn-ErrorType"].startswith("MissingAuthenticationTokenException")

    wrong = boto3.client(
        "bedrock-runtime", endpoint_url=bedrock_server.url, region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="not-the-secret",
    )  # fmt: skip
    with pytest.raises(ClientError) as refused:
        wrong.converse(modelId="us.anthropic.claude-sonnet-4-6", messages=MESSAGES)
    assert refused.value.response["Error"]["Code"] == "InvalidSignatureException"


def test_scripted_throttling_reaches_botocore_as_a_throttling_exception(bedrock_server):
    bedrock_server.reset()
    bedrock_server.script.append(THROTTLE)
    client = boto3.client(
        "bedrock-runtime", endpoint_url=bedrock_server.url, region_name="us-east-1",
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
    )  # fmt: skip
    with pytest.raises(ClientError) as throttled:
        client.converse(modelId="us.anthropic.claude-sonnet-4-6", messages=MESSAGES)
    assert throttled.value.response["Error"]["Code"] == "ThrottlingException"
    assert throttled.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    answer = client.converse(modelId="us.anthropic.claude-sonnet-4-6", messages=MESSAGES)
    assert answer["stopReason"] == "end_turn" and answer["usage"]["inputTokens"] > 0
