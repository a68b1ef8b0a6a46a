"""Secrets Manager: read a secret's string (settings call it through `finops.secrets.env_or_secret`)."""

from __future__ import annotations

import os

from botocore.exceptions import BotoCoreError, ClientError

from finops.aws import call_error, client_at


def secret_string(arn: str) -> str:
    """The SecretString of `arn`; raises AwsCallError (ResourceNotFoundException, AccessDeniedException…).

    Region and endpoint come from the environment, not Django settings: this runs while the
    settings module is still being evaluated.
    """
    try:
        response = client_at(
            "secretsmanager",
            region=os.environ.get("AWS_REGION", "us-east-1"),
            endpoint_url=os.environ.get("AWS_ENDPOINT_URL") or None,
        ).get_secret_value(SecretId=arn)
    except (ClientError, BotoCoreError) as error:
        raise call_error("secretsmanager:GetSecretValue", error) from error
    return str(response["SecretString"])
