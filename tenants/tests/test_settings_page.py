from __future__ import annotations

from typing import Any

from django_tenants.utils import schema_exists

from tenants.models import Organization


def test_an_admin_changes_name_currency_and_time_zone(org_a: Any, client_for: Any) -> None:
    response = client_for(org_a.admin, org_a).post(
        "/settings/", {"name": "Acme Corp", "default_currency": "EUR", "time_zone": "Europe/Paris"}
    )
    assert response.status_code == 302
    org = Organization.objects.get(pk=org_a.organization.pk)
    assert (org.name, org.default_currency, org.time_zone) == ("Acme Corp", "EUR", "Europe/Paris")


def test_bad_settings_are_explained(org_a: Any, client_for: Any) -> None:
    response = client_for(org_a.owner, org_a).post(
        "/settings/", {"name": "Acme", "default_currency": "dollars", "time_zone": "Mars/Base"}
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "3-letter" in errors["default_currency"][0]
    assert "time_zone" in errors


def test_deleting_requires_the_typed_slug_and_an_owner(org_a: Any, client_for: Any) -> None:
    schema = org_a.organization.schema_name
    admin = client_for(org_a.admin, org_a)
    assert admin.post("/settings/delete/", {"confirm": "acme"}).status_code == 403

    owner = client_for(org_a.owner, org_a)
    wrong = owner.post("/settings/delete/", {"confirm": "acm"})
    assert wrong.status_code == 400 and "Type acme exactly" in wrong.content.decode()
    assert schema_exists(schema)

    done = owner.post("/settings/delete/", {"confirm": "acme"})
    assert done.status_code == 302 and done["Location"] == "http://localhost:8000/"
    assert not Organization.objects.filter(slug="acme").exists()
    assert not schema_exists(schema)
