"""The API's authorization matrix, generated from its OpenAPI document.

Every operation in the schema × {owner's read-write key, read-only key, viewer session, key of
another organization, revoked key, no credentials} × {own object, other organization's object id}:
other organization → 404, read-only or viewer writing → 403, no credentials, another
organization's key or a revoked key → 401, otherwise the operation's documented 2xx.

The cases are enumerated from the schema, so a new endpoint is in the matrix the day it is
routed: it needs an object provider (for `{id}` paths) and a request body (for writes) below, or
`test_every_operation_in_the_schema_has_a_case` and its own cases fail.

Owner-role rows (issue 14 item 1: only an owner grants or takes away the owner role, on every path
that changes a membership, the API included): `test_the_owner_role_rows` below; the pages' rows are in
tenants/tests/test_authorization_matrix.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Model
from django.test import Client
from django_tenants.utils import tenant_context
from drf_spectacular.generators import SchemaGenerator

from conftest import make_org
from finops.db import use_public_schema
from finops.tests.api_objects import api_objects
from tenants.models import ApiKeyScope
from tenants.services.api_keys import api_key_create, api_key_revoke

METHODS = ("get", "post", "put", "patch", "delete")


def schema_operations() -> list[tuple[str, str, int]]:
    """(path, method, documented 2xx status) of every operation the OpenAPI document lists."""
    schema = SchemaGenerator(urlconf="finops.urls_tenants").get_schema(request=None, public=True)
    operations = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                success = [int(code) for code in operation["responses"] if code.startswith("2")]
                assert len(success) == 1, f"{method.upper()} {path} documents {success}"
                operations.append((path, method, success[0]))
    return sorted(operations)


OPERATIONS = schema_operations()

# The object each `{id}` path acts on, from one organization's objects (see `objects` below).
OBJECTS: dict[str, Callable[[dict[str, Model]], Model]] = {
    "/api/v1/sources/{id}": lambda o: o["upload_source"],
    "/api/v1/sources/{id}/test-connection": lambda o: o["upload_source"],  # nothing to reach: no AWS call
    "/api/v1/sources/{id}/run": lambda o: o["aws_source"],  # queued on commit, which a test never reaches
    "/api/v1/jobs/{id}": lambda o: o["job"],
    "/api/v1/anomalies/{id}": lambda o: o["anomaly"],
    "/api/v1/anomalies/{id}/feedback": lambda o: o["anomaly"],
    "/api/v1/monitors/{id}": lambda o: o["monitor"],
    "/api/v1/monitors/{id}/mute": lambda o: o["monitor"],
    "/api/v1/monitors/{id}/unmute": lambda o: o["monitor"],
    "/api/v1/budgets/{id}": lambda o: o["budget"],
    "/api/v1/alert-subscriptions/{id}": lambda o: o["subscription"],
    "/api/v1/recommendations/{id}": lambda o: o["recommendation"],
    "/api/v1/recommendations/{id}/status": lambda o: o["recommendation"],
    "/api/v1/saved-views/{id}": lambda o: o["saved_view"],  # saved by the owner
    "/api/v1/exports/{id}": lambda o: o["export"],
    "/api/v1/exports/{id}/download": lambda o: o["export"],  # succeeded, its file in storage
    "/api/v1/members/{id}": lambda o: o["membership"],  # the viewer's
}
# A valid body for every write (None: the operation takes none).
BUDGET = {"name": "Matrix budget", "amount": "100.00", "actual_thresholds": [80], "forecast_thresholds": []}
BODIES: dict[tuple[str, str], dict[str, Any] | None] = {
    ("/api/v1/sources/{id}/test-connection", "post"): None,
    ("/api/v1/sources/{id}/run", "post"): None,
    ("/api/v1/anomalies/{id}/feedback", "post"): {"verdict": "expected"},
    ("/api/v1/monitors", "post"): {"name": "Matrix monitor", "dimension": "total"},
    ("/api/v1/monitors/{id}/mute", "post"): None,
    ("/api/v1/monitors/{id}/unmute", "post"): None,
    ("/api/v1/budgets", "post"): BUDGET,
    ("/api/v1/budgets/{id}", "put"): BUDGET,
    ("/api/v1/budgets/{id}", "patch"): {"amount": "120.00"},
    ("/api/v1/budgets/{id}", "delete"): None,
    ("/api/v1/alert-subscriptions", "post"): {"channel": "email", "frequency": "daily", "min_severity": "high"},
    ("/api/v1/alert-subscriptions/{id}", "delete"): None,
    ("/api/v1/recommendations/{id}/status", "post"): {"to_status": "in_progress"},
    ("/api/v1/saved-views", "post"): {"name": "Matrix view", "query": "range=last_7_days&group_by=region"},
    ("/api/v1/saved-views/{id}", "patch"): {"name": "Matrix view renamed"},
    ("/api/v1/saved-views/{id}", "delete"): None,
    ("/api/v1/exports", "post"): {"billing_period": "2025-03", "format": "csv"},
    ("/api/v1/members/{id}", "patch"): {"role": "member"},
    ("/api/v1/members/{id}", "delete"): None,
}
# Resources that belong to a signed-in person: keys are refused (403) whatever their scope, and a
# viewer manages their own.
PERSON_ONLY = ("/api/v1/alert-subscriptions",)
# Writes every member may make, viewers too (as on the pages): saving a view, requesting an export. A
# saved view is renamed or deleted only by its creator (the matrix's was saved by the owner) or a manager.
MEMBER_WRITES = ("/api/v1/saved-views", "/api/v1/exports")
# Writes decided by the acting person's role: every key, read-write too, is refused (403).
PERSON_WRITES = ("/api/v1/members",)

CREDENTIALS = ("owner_key", "read_key", "viewer_session", "other_org_key", "revoked_key", "anonymous")
TARGETS = ("own", "other_org")


def expected_status(path: str, method: str, success: int, credential: str, target: str) -> int:
    writing = method != "get"
    if credential in ("other_org_key", "revoked_key", "anonymous"):
        return 401
    if path.startswith(MEMBER_WRITES) and writing and credential == "viewer_session":
        if target == "other_org":
            return 404
        return success if method == "post" else 403
    if path.startswith(PERSON_WRITES) and writing and credential == "owner_key":
        return 403
    if path.startswith(PERSON_ONLY):
        if credential in ("owner_key", "read_key"):
            return 403
    elif writing and credential in ("read_key", "viewer_session"):
        return 403
    return 404 if target == "other_org" else success


def cases() -> list[Any]:
    found = []
    for path, method, success in OPERATIONS:
        targets = TARGETS if "{id}" in path else ("own",)
        for credential in CREDENTIALS:
            for target in targets:
                want = expected_status(path, method, success, credential, target)
                found.append(
                    pytest.param(
                        path, method, credential, target, want, id=f"{method.upper()} {path} {credential} {target}"
                    )
                )
    return found


@pytest.fixture(scope="module")
def matrix(django_db_setup: Any, django_db_blocker: Any) -> Any:
    """Two committed organizations with one object of every resource; the other's ids exist only there."""
    with django_db_blocker.unblock():
        own, other = make_org("apimatrix"), make_org("apioutsider")
        with tenant_context(own.organization):
            mine = api_objects(own)
        with tenant_context(other.organization):
            # Above every id of the same model in the first organization's schema.
            floors: dict[type[Model], int] = {}
            for obj in mine.values():
                floors[type(obj)] = max(floors.get(type(obj), 0), obj.pk)
            theirs = api_objects(other, floors=floors)
        use_public_schema()
        revoked = api_key_create(
            organization=own.organization, name="old", scope=ApiKeyScope.READ_WRITE, created_by=None
        )
        api_key_revoke(key=revoked.key)
        secrets = {
            "owner_key": api_key_create(
                organization=own.organization, name="rw", scope=ApiKeyScope.READ_WRITE, created_by=own.owner
            ).secret,
            "read_key": api_key_create(
                organization=own.organization, name="r", scope=ApiKeyScope.READ, created_by=own.owner
            ).secret,
            "other_org_key": api_key_create(
                organization=other.organization, name="theirs", scope=ApiKeyScope.READ_WRITE, created_by=other.owner
            ).secret,
            "revoked_key": revoked.secret,
        }
    yield {"own": own, "objects": {"own": mine, "other_org": theirs}, "secrets": secrets}
    with django_db_blocker.unblock():
        use_public_schema()
        for world in (own, other):
            world.organization.delete(force_drop=True)
        get_user_model().objects.filter(email__endswith=("@apimatrix.test")).delete()
        get_user_model().objects.filter(email__endswith=("@apioutsider.test")).delete()


@pytest.fixture(autouse=True)
def _no_throttling(settings: Any) -> None:
    settings.API_THROTTLE_RATES = {}


def client_for(matrix: Any, credential: str) -> Client:
    own = matrix["own"]
    if credential == "viewer_session":
        client = Client(HTTP_HOST=own.host)
        client.force_login(own.viewer)
        return client
    if credential == "anonymous":
        return Client(HTTP_HOST=own.host)
    return Client(HTTP_HOST=own.host, HTTP_AUTHORIZATION=f"Bearer {matrix['secrets'][credential]}")


def test_every_operation_in_the_schema_has_a_case() -> None:
    assert len(OPERATIONS) >= 25  # costs, monitoring and recommendations at least
    missing_objects = sorted({path for path, _, _ in OPERATIONS if "{id}" in path} - set(OBJECTS))
    missing_bodies = sorted({(p, m) for p, m, _ in OPERATIONS if m != "get"} - set(BODIES))
    assert missing_objects == [], "add an object provider to OBJECTS for these paths"
    assert missing_bodies == [], "add a request body to BODIES for these writes"
    stale = sorted(set(OBJECTS) - {p for p, _, _ in OPERATIONS}) + sorted(
        str(k) for k in set(BODIES) - {(p, m) for p, m, _ in OPERATIONS}
    )
    assert stale == [], "cases for operations the schema no longer has"


@pytest.mark.parametrize(("path", "method", "credential", "target", "want"), cases())
def test_the_authorization_matrix(
    matrix: Any, db: Any, path: str, method: str, credential: str, target: str, want: int
) -> None:
    url = path
    if "{id}" in path:
        assert path in OBJECTS, f"no object provider for {path}: add one to OBJECTS"
        url = path.replace("{id}", str(OBJECTS[path](matrix["objects"][target]).pk))
    body: dict[str, Any] | None = None
    if method != "get":
        assert (path, method) in BODIES, f"no request body for {method.upper()} {path}: add one to BODIES"
        body = BODIES[(path, method)]
    client = client_for(matrix, credential)
    send = getattr(client, method)
    response = send(url, body, content_type="application/json") if body is not None else send(url)
    assert response.status_code == want, response.content[:500]
    if response.status_code >= 400:
        assert set(response.json()) == {"error"}, "every error has the one error body"
    if want == 404:
        # Nothing of the other organization shows, not even its name.
        assert b"apioutsider" not in response.content


# Who may give or take away the owner role through the API (issue 14 item 1), as on the Members page:
# (acting credential, target membership, method, body, expected status).
OWNER_ROLE_ROWS = [
    ("admin_session", "membership", "patch", {"role": "owner"}, 403),  # an admin cannot mint an owner
    ("admin_session", "owner_membership", "patch", {"role": "admin"}, 403),  # nor take ownership away
    ("admin_session", "owner_membership", "delete", None, 403),  # nor remove an owner
    ("admin_session", "membership", "patch", {"role": "member"}, 200),  # below owner, an admin decides
    ("owner_session", "membership", "patch", {"role": "owner"}, 200),
    ("owner_session", "owner_membership", "patch", {"role": "admin"}, 400),  # the last owner stays
    ("owner_key", "membership", "patch", {"role": "owner"}, 403),  # no key mints an owner
    ("owner_key", "membership", "patch", {"role": "admin"}, 403),
    ("viewer_session", "membership", "patch", {"role": "owner"}, 403),
]


@pytest.mark.parametrize(("credential", "target", "method", "body", "want"), OWNER_ROLE_ROWS)
@pytest.mark.parametrize("organization", ["own", "other_org"])
def test_the_owner_role_rows(
    matrix: Any, db: Any, credential: str, target: str, method: str, body: Any, want: int, organization: str
) -> None:
    own = matrix["own"]
    if credential in ("admin_session", "owner_session"):
        client = Client(HTTP_HOST=own.host)
        client.force_login(own.admin if credential == "admin_session" else own.owner)
    else:
        client = client_for(matrix, credential)
    membership = matrix["objects"][organization][target]
    before = type(membership).objects.get(pk=membership.pk).role
    send = getattr(client, method)
    url = f"/api/v1/members/{membership.pk}"
    response = send(url, body, content_type="application/json") if body is not None else send(url)
    refused_before_lookup = credential in ("owner_key", "viewer_session")  # 403 whatever the id
    expected = 404 if organization == "other_org" and not refused_before_lookup else want
    assert response.status_code == expected, response.content[:500]
    after = type(membership).objects.filter(pk=membership.pk).values_list("role", flat=True).first()
    if expected == 200:
        assert after == body["role"]
    else:
        assert after == before, "a refused change changed nothing"


def test_every_operation_is_documented() -> None:
    """A description, a schema for its success body and the shared error body, on every operation."""
    schema = SchemaGenerator(urlconf="finops.urls_tenants").get_schema(request=None, public=True)
    undocumented = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            responses = operation["responses"]
            success = [code for code in responses if code.startswith("2")]
            if not operation.get("description"):
                undocumented.append(f"{method.upper()} {path}: description")
            if any(code != "204" and "content" not in responses[code] for code in success):
                undocumented.append(f"{method.upper()} {path}: success body schema")
            for code in ("401", "403", "404", "429"):
                error = responses.get(code, {}).get("content", {}).get("application/json", {}).get("schema", {})
                if error.get("$ref") != "#/components/schemas/Error":
                    undocumented.append(f"{method.upper()} {path}: {code} error body")
    assert undocumented == []
