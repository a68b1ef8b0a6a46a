"""Every response carries a strict Content-Security-Policy and the other browser policies (issue 14 item 4)."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client

from finops.content_security import content_security_policy, csp_allow


def directives(response: Any) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    parsed: dict[str, list[str]] = {}
    for part in header.split(";"):
        name, *sources = part.split()
        assert name not in parsed, f"{name} twice in {header}"
        parsed[name] = sources
    return parsed


def assert_strict(response: Any) -> None:
    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]  # our static files only: no inline, no eval, no CDN
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"][0] == "'self'"
    assert all(s.startswith(("http://", "https://")) and "localhost" in s for s in policy["form-action"][1:])
    assert not any("unsafe" in source for sources in policy.values() for source in sources)
    assert response["Referrer-Policy"] in {"same-origin", "strict-origin-when-cross-origin", "no-referrer"}
    permissions = response["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in permissions
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_public_pages_carry_the_policies(public_client: Client) -> None:
    for path in ("/", "/signup/", "/accounts/login/"):
        response = public_client.get(path)
        assert response.status_code == 200, path
        assert_strict(response)


def test_organization_pages_json_and_errors_carry_the_policies(org_a: Any, org_b: Any, client_for: Any) -> None:
    owner = client_for(org_a.owner, org_a)
    for path in ("/", "/costs/", "/cloud-accounts/", "/members/", "/no-such-page/"):
        response = owner.get(path)
        assert response.status_code in (200, 404), path
        assert_strict(response)
    stranger = client_for(org_b.owner, org_a).get("/cloud-accounts/")
    assert stranger.status_code == 404
    assert_strict(stranger)
    assert_strict(client_for(None, org_a).get("/costs/"))  # the redirect to sign-in


def test_json_probes_and_unknown_hosts_carry_the_policies(db: Any) -> None:
    assert_strict(Client(HTTP_HOST="10.0.3.7").get("/healthz"))
    unknown = Client(HTTP_HOST="nobody.localhost").get("/")
    assert unknown.status_code in (400, 404)
    assert_strict(unknown)


def test_a_job_progress_answer_carries_the_policies(org_a: Any, client_for: Any) -> None:
    from django_tenants.utils import tenant_context

    from costs.ingest.jobs import job_create
    from costs.models import CostSource, JobTrigger

    with tenant_context(org_a.organization):
        job = job_create(source=CostSource.objects.uploads(), trigger=JobTrigger.UPLOAD, files=["x.csv"])
    response = client_for(org_a.viewer, org_a).get(f"/cloud-accounts/jobs/{job.pk}/progress.json")
    assert response.status_code == 200
    assert_strict(response)


def test_a_view_widens_only_the_directive_it_names() -> None:
    response = csp_allow(HttpResponse(), "connect-src", "https://bucket.s3.amazonaws.com")
    header = content_security_policy(extra=response.csp_extra)  # type: ignore[attr-defined]
    assert "connect-src 'self' https://bucket.s3.amazonaws.com;" in header
    assert "script-src 'self';" in header
    with pytest.raises(ValueError):
        content_security_policy(extra={"script-src": ["'unsafe-inline'"]})
    with pytest.raises(ValueError):
        content_security_policy(extra={"connect-src": ["https://x; script-src *"]})
