"""Secrets from AWS Secrets Manager, read once at start-up when settings are given ARNs.

ECS can inject secrets as environment variables, which settings read directly; the ARN
form (`<NAME>_SECRET_ARN`) is for processes started outside ECS (one-off tasks, local
shells against staging) so a secret value never has to be copied anywhere.
"""

from __future__ import annotations

import json
import os


def secret_value(arn: str, key: str | None = None) -> str:
    """The secret's string, or one key of a JSON secret (e.g. RDS's {"username", "password"})."""
    # Imported here: boto3 is loaded only by processes whose settings name a secret ARN.
    from finops.aws.secrets_manager import secret_string

    raw = secret_string(arn)
    if key is None:
        return str(raw)
    value = json.loads(raw).get(key)
    if value is None:
        raise KeyError(f"secret {arn} has no key {key!r}")
    return str(value)


def env_or_secret(name: str, *, key: str | None = None, default: str = "") -> str:
    """NAME from the environment, else the secret named by NAME_SECRET_ARN, else the default."""
    value = os.environ.get(name)
    if value:
        return value
    arn = os.environ.get(f"{name}_SECRET_ARN")
    if arn:
        return secret_value(arn, key)
    return default
