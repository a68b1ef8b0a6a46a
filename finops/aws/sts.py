"""STS: assume a customer's read-only role with our organization's ExternalId."""

from __future__ import annotations

import re

from botocore.exceptions import BotoCoreError, ClientError

from finops.aws import Credentials, call_error, client

# RoleSessionName allows [\w+=,.@-]{2,64}; it shows up in the customer's CloudTrail.
_SESSION_NAME_INVALID = re.compile(r"[^\w+=,.@-]")


def session_name_for(schema_name: str) -> str:
    return _SESSION_NAME_INVALID.sub("-", f"finops-{schema_name}")[:64]


def assume_role(*, role_arn: str, external_id: str, session_name: str, duration_seconds: int = 3600) -> Credentials:
    """Temporary credentials for `role_arn`; raises AwsCallError (AccessDenied when the trust policy refuses us)."""
    try:
        response = client("sts").assume_role(
            RoleArn=role_arn,
            RoleSessionName=session_name,
            ExternalId=external_id,
            DurationSeconds=duration_seconds,
        )
    except (ClientError, BotoCoreError) as error:
        raise call_error("sts:AssumeRole", error) from error
    creds = response["Credentials"]
    return Credentials(
        access_key_id=creds["AccessKeyId"],
        secret_access_key=creds["SecretAccessKey"],
        session_token=creds["SessionToken"],
    )
