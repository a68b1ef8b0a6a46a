"""Production settings pass Django's deployment checks (what `make check-deploy` runs)."""

from __future__ import annotations

import secrets
import subprocess
import sys
from typing import Any

from django.conf import settings

from finops.testing_env import production_env


def test_manage_check_deploy_passes_with_production_settings(db: Any) -> None:
    env = production_env(SECRET_KEY=secrets.token_urlsafe(50), BASE_DOMAIN="finops.example.com")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_in_production_the_probes_answer_plain_http_on_any_host(db: Any) -> None:
    # The ALB probes targets by IP over HTTP inside the VPC; SSL redirect and host checks must not apply.
    env = production_env(SECRET_KEY=secrets.token_urlsafe(50), BASE_DOMAIN="finops.example.com")
    code = (
        "import django; django.setup(); from django.conf import settings as s; from django.test import Client;"
        "h = Client(HTTP_HOST='10.0.0.5').get('/healthz');"
        "print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.SECURE_HSTS_SECONDS > 0, h.status_code)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "True True True 200"
