"""Schemathesis over the whole OpenAPI document, inside the suite, with a bounded example count.

Calls are authenticated with a read-write key of one organization (its host, in-process WSGI) and
must give no 5xx, match the documented status codes, content types and response schemas, and
carry nothing of the other organization: its objects' ids are made unmistakable (their schema's
sequences start at OTHER_IDS) and its name must not appear.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, connection
from django_tenants.utils import tenant_context
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.core.result import Err
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance

from conftest import make_org
from finops.db import use_public_schema
from finops.tests.api_objects import api_objects
from tenants.models import ApiKeyScope
from tenants.services.api_keys import api_key_create

EXAMPLES_PER_OPERATION = 3
OTHER_IDS = 900_000_000
OTHER_NAME = "fuzzoutsider"

SCHEMA = schemathesis.openapi.from_dict(
    SchemaGenerator(urlconf="finops.urls_tenants").get_schema(request=None, public=True)
)
SCHEMA.app = get_wsgi_application()
# Requests that fit the schema. Cross-parameter rules (start needs end, range excludes them) cannot be said
# in OpenAPI, so a 400 for such a combination is not counted against the API (positive_data_acceptance);
# with two schemes (key or session) a replay with a bogus cookie still carries the valid key
# (ignored_auth): credentials are the authorization matrix's subject (test_api_matrix.py).
SCHEMA.config.generation.update(modes=[GenerationMode.POSITIVE])
EXCLUDED_CHECKS = [positive_data_acceptance, ignored_auth]


@pytest.fixture(scope="module")
def fuzz_world(django_db_setup: Any, django_db_blocker: Any) -> Any:
    with django_db_blocker.unblock():
        own, other = make_org("fuzzed"), make_org(OTHER_NAME)
        with tenant_context(own.organization):
            api_objects(own)
        with tenant_context(other.organization):
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT sequencename FROM pg_sequences WHERE schemaname = %s", [other.organization.schema_name]
                )
                for (sequence,) in cursor.fetchall():
                    cursor.execute(f'ALTER SEQUENCE "{sequence}" RESTART WITH {OTHER_IDS}')
            api_objects(other)
        use_public_schema()
        secret = api_key_create(
            organization=own.organization, name="fuzz", scope=ApiKeyScope.READ_WRITE, created_by=own.owner
        ).secret
    yield {"host": own.host, "secret": secret}
    with django_db_blocker.unblock():
        use_public_schema()
        for world in (own, other):
            world.organization.delete(force_drop=True)
        get_user_model().objects.filter(email__endswith="@fuzzed.test").delete()
        get_user_model().objects.filter(email__endswith=f"@{OTHER_NAME}.test").delete()


def _ids(value: Any) -> list[int]:
    """Every integer under a key named id or ending in _id, or a key naming a resource (source, monitor…)."""
    found: list[int] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if (
                isinstance(item, int)
                and not isinstance(item, bool)
                and (key in ("id", "source", "monitor", "anomaly") or key.endswith("_id"))
            ):
                found.append(item)
            else:
                found += _ids(item)
    elif isinstance(value, list):
        for item in value:
            found += _ids(item)
    return found


@pytest.fixture(autouse=True)
def _no_throttling(settings: Any) -> None:
    settings.API_THROTTLE_RATES = {}


@pytest.fixture(autouse=True)
def _connection_kept_across_requests() -> Any:
    """As Django's test client does: the WSGI handler would close the test's connection (and its transaction)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


# One test per operation, each with its own id. (Schemathesis' own `SCHEMA.parametrize()` gives every
# operation the same node id, and pytest-xdist, which `make test` runs, then ran only one of them.)


def _operations() -> list[Any]:
    """Every operation of the schema; a part of it schemathesis cannot read fails here, by name."""
    operations = []
    for result in SCHEMA.get_all_operations():
        if isinstance(result, Err):
            raise result.err()
        operations.append(result.ok())
    return operations


OPERATIONS = _operations()


@pytest.mark.parametrize("operation", OPERATIONS, ids=[operation.label for operation in OPERATIONS])
def test_the_api_holds_its_schema_under_generated_requests(operation: Any, fuzz_world: Any, db: Any) -> None:
    @given(case=operation.as_strategy(GenerationMode.POSITIVE))
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        derandomize=True,
    )
    def check(case: Any) -> None:
        response = case.call(
            base_url=f"http://{fuzz_world['host']}", headers={"Authorization": f"Bearer {fuzz_world['secret']}"}
        )
        case.validate_response(response, excluded_checks=EXCLUDED_CHECKS)
        body = response.content
        assert OTHER_NAME.encode() not in body
        if body and response.headers.get("Content-Type", "").startswith("application/json"):
            leaked = [value for value in _ids(json.loads(body)) if value >= OTHER_IDS]
            assert leaked == [], f"ids of the other organization in {case.method} {case.formatted_path}: {leaked}"

    check()
