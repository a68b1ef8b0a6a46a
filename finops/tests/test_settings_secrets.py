"""Production settings read their secrets from Secrets Manager (through a local moto server)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from finops.aws.testing import moto_client


def settings_in_a_fresh_process(env: dict[str, str], expression: str) -> str:
    code = (
        f"import django, json; django.setup(); from django.conf import settings as s; print(json.dumps({expression}))"
    )
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_secret_key_database_and_redis_credentials_come_from_secrets_manager(moto_endpoint: str) -> None:
    client = moto_client("secretsmanager", moto_endpoint)
    key_arn = client.create_secret(Name="finops/django", SecretString="s3cr3t-from-asm-" + "k" * 40)["ARN"]
    db_arn = client.create_secret(
        Name="finops/db", SecretString=json.dumps({"username": "finops_app", "password": "pw-from-asm"})
    )["ARN"]
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"FINOPS_TESTING", "SECRET_KEY", "DEBUG", "DATABASE_URL", "REDIS_URL"}
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "finops.settings",
            "AWS_ENDPOINT_URL": moto_endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "SECRET_KEY_SECRET_ARN": key_arn,
            "DATABASE_HOST": "proxy.example.internal",
            "DATABASE_USER_SECRET_ARN": db_arn,
            "DATABASE_PASSWORD_SECRET_ARN": db_arn,
            "REDIS_URL": "rediss://cache.example.internal:6379/0",
            "REDIS_PASSWORD": "tokenABC123",
        }
    )
    values = settings_in_a_fresh_process(
        env,
        '[s.SECRET_KEY, s.DATABASES["default"]["USER"], s.DATABASES["default"]["PASSWORD"], '
        's.DATABASES["default"]["HOST"], s.DATABASES["default"]["OPTIONS"]["sslmode"], s.REDIS_URL, s.DEBUG]',
    )
    assert values == [
        "s3cr3t-from-asm-" + "k" * 40,
        "finops_app",
        "pw-from-asm",
        "proxy.example.internal",
        "require",
        "rediss://:tokenABC123@cache.example.internal:6379/0",
        False,
    ]


def test_without_debug_a_missing_secret_key_stops_start_up() -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"FINOPS_TESTING", "SECRET_KEY", "DEBUG"}}
    env["DJANGO_SETTINGS_MODULE"] = "finops.settings"
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr
