"""Benchmark `tenant_provisioning`: sign-up POST to a usable organization, against the naive way."""

from __future__ import annotations

import re
import statistics
import sys
import time

from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import Client

from finops.db import use_public_schema

SIGNUPS = 20
NAIVE_SAMPLES = 7


def _signup_seconds(index: int) -> float:
    """Sign-up form, the emailed link, then the organization's home page, as a visitor would."""
    client = Client(HTTP_HOST="localhost")
    started = time.perf_counter()
    response = client.post(
        "/signup/",
        {
            "organization_name": f"Bench {index}",
            "slug": f"bench-{index}",
            "email": f"owner{index}@bench.test",
            "password": "bench passphrase that is long",
        },
    )
    assert response.status_code == 302, response.status_code
    link = re.search(r"/signup/confirm/\S+/", str(mail.outbox[-1].body))
    assert link is not None
    response = client.post(link.group(0))
    assert response.status_code == 302, response.status_code
    handoff = response["Location"].split("localhost", 1)[1].split("/", 1)[1]
    home = Client(HTTP_HOST=f"bench-{index}.localhost").get("/" + handoff, follow=True)
    assert home.status_code == 200 and f"Bench {index}".encode() in home.content
    return time.perf_counter() - started


def _create_schema_by_migrating(schema_name: str) -> None:
    """What django-tenants does without a template: CREATE SCHEMA, then every migration."""
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{schema_name}"')
    call_command("migrate_schemas", tenant=True, schema_name=schema_name, interactive=False, verbosity=0)
    use_public_schema()


def run() -> list[dict[str, object]]:
    from tenants.services import provisioning
    from tenants.services.provisioning import public_tenant_ensure

    public_tenant_ensure()
    # The sign-up links arrive in memory (stdout carries the figures only), and the sign-up
    # throttle, which would stop one address after ten, is not what is measured here.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    settings.SIGNUP_RATE_PER_ADDRESS = settings.SIGNUP_RATE_GLOBAL = f"{10 * (SIGNUPS + NAIVE_SAMPLES)}/60"
    ours = [_signup_seconds(i) for i in range(SIGNUPS)]
    # The same sign-up, with the schema built by running the migrations instead of cloning.
    original = provisioning._schema_clone_from_template
    provisioning._schema_clone_from_template = _create_schema_by_migrating
    try:
        naive = [_signup_seconds(SIGNUPS + i) for i in range(NAIVE_SAMPLES)]
    finally:
        provisioning._schema_clone_from_template = original
    value, baseline = statistics.median(ours), statistics.median(naive)
    print(f"tenant_provisioning: ours {ours}, naive {naive}", file=sys.stderr)
    return [
        {
            "bench": "tenant_provisioning",
            "value": round(value, 4),
            "unit": "s",
            "baseline": round(baseline, 4),
            "ratio": round(value / baseline, 4),
        }
    ]
