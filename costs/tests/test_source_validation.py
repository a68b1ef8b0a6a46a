"""One validation of a linked export's settings for the form and the services: s3:// URIs, bucket names, duplicates."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django_tenants.utils import tenant_context

from costs.models import CostSource, SourceKind
from costs.services.source_validation import SourceError, source_location_normalize, source_settings_validate
from costs.services.sources import source_create, source_update
from costs.tests.conftest import ROLE_ARN

FORM = {
    "name": "Payer",
    "role_arn": ROLE_ARN,
    "bucket": "acme-billing",
    "export_prefix": "cur",
    "export_name": "daily",
    "format": "cur2",
}


def link(**overrides: Any) -> CostSource:
    values = {"name": "Payer", "role_arn": ROLE_ARN, "bucket": "acme-billing", "prefix": "cur", "export_name": "daily"}
    return source_create(**{**values, **overrides}, format="auto")


@pytest.mark.parametrize(
    ("bucket", "prefix", "stored"),
    [
        ("acme-billing", "s3://acme-billing/cur", ("acme-billing", "cur")),
        ("acme-billing", "s3://acme-billing/cur/exports/", ("acme-billing", "cur/exports")),
        ("acme-billing", "/cur/", ("acme-billing", "cur")),
        ("s3://acme-billing/cur", "", ("acme-billing", "cur")),
        ("s3://acme-billing", "cur", ("acme-billing", "cur")),
        (" acme-billing ", "", ("acme-billing", "")),
    ],
)
def test_an_s3_uri_in_either_field_is_taken_apart(bucket: str, prefix: str, stored: tuple[str, str]) -> None:
    assert source_location_normalize(bucket=bucket, prefix=prefix) == stored


@pytest.mark.parametrize(
    ("bucket", "prefix", "field", "message"),
    [
        ("acme-billing", "s3://other-bucket/cur", "prefix", "names bucket 'other-bucket', but the bucket is"),
        ("s3://acme-billing/cur", "other", "bucket", "enter the bucket name only"),
        ("acme-billing", "https://acme-billing.s3.amazonaws.com/cur", "prefix", "looks like a URL or an ARN"),
        ("acme-billing", "cur/*", "prefix", "cannot contain * or ?"),
        ("acme-billing", "cur//daily", "prefix", "empty folder name"),
        ("acme-billing", "cur\nx", "prefix", "control character (U+000A)"),
        ("Acme_Billing", "", "bucket", "is not a valid S3 bucket name"),
        ("192.168.5.4", "", "bucket", "is an IP address"),
        ("acme..billing", "", "bucket", "is not a valid S3 bucket name"),
        ("acme-billing-s3alias", "", "bucket", "reserved prefix or suffix"),
    ],
)
def test_bad_locations_are_refused_naming_the_field(bucket: str, prefix: str, field: str, message: str) -> None:
    with pytest.raises(SourceError, match=re.escape(message)) as raised:
        source_location_normalize(bucket=bucket, prefix=prefix)
    assert list(raised.value.errors) == [field]


def test_every_bad_setting_is_reported_at_once(org_a: Any) -> None:
    with tenant_context(org_a.organization), pytest.raises(SourceError) as raised:
        source_settings_validate(role_arn="arn:aws:iam::1:role/x", bucket="s3://b", prefix="", export_name="a/b")
    assert set(raised.value.errors) == {"role_arn", "bucket", "export_name"}


def test_the_service_stores_an_s3_uri_prefix_as_a_plain_prefix(org_a: Any) -> None:
    with tenant_context(org_a.organization):
        source = link(prefix="s3://acme-billing/cur")
    assert (source.bucket, source.prefix) == ("acme-billing", "cur")


def test_the_service_refuses_a_prefix_naming_another_bucket(org_a: Any) -> None:
    with tenant_context(org_a.organization):
        with pytest.raises(SourceError, match="names bucket 'b', but the bucket is 'acme-billing'"):
            link(prefix="s3://b/s3://b/prefix")
        assert not CostSource.objects.exists()


def test_the_form_shows_the_prefix_error_beside_the_prefix(org_a: Any, client_for: Any) -> None:
    response = client_for(org_a.admin, org_a).post(
        "/cloud-accounts/add/", {**FORM, "export_prefix": "s3://someone-else/cur"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["export_prefix"] == [
        "The prefix 's3://someone-else/cur' names bucket 'someone-else', but the bucket is 'acme-billing'. "
        "Enter only the folder path inside the bucket (for example cur)."
    ]


def test_the_form_stores_a_pasted_s3_uri_as_bucket_and_prefix(org_a: Any, client_for: Any) -> None:
    response = client_for(org_a.admin, org_a).post(
        "/cloud-accounts/add/", {**FORM, "bucket": "s3://acme-billing/cur/", "export_prefix": ""}
    )
    assert response.status_code == 302
    with tenant_context(org_a.organization):
        source = CostSource.objects.get(kind=SourceKind.AWS_S3)
    assert (source.bucket, source.prefix, source.export_name) == ("acme-billing", "cur", "daily")


# --- the same export linked twice ---------------------------------------------------------


def test_the_same_export_cannot_be_linked_twice(org_a: Any) -> None:
    with tenant_context(org_a.organization):
        first = link()
        # The same place spelled differently is still the same export.
        with pytest.raises(SourceError, match=rf"already linked as “Payer” \(source {first.pk}\)") as raised:
            link(name="Payer again", prefix="s3://acme-billing/cur/")
        assert list(raised.value.errors) == ["export_name"]
        assert CostSource.objects.filter(kind=SourceKind.AWS_S3).count() == 1
        # Another export in the same bucket is fine.
        link(export_name="hourly")


def test_editing_a_source_onto_another_sources_export_is_refused(org_a: Any) -> None:
    with tenant_context(org_a.organization):
        first = link()
        second = link(export_name="hourly")
        with pytest.raises(
            SourceError, match=rf"s3://acme-billing/cur/daily/ is already linked as “Payer” \(source {first.pk}\)"
        ):
            source_update(
                source=second,
                name="Second",
                role_arn=ROLE_ARN,
                bucket="acme-billing",
                prefix="cur",
                export_name="daily",
                format="auto",
                is_active=True,
            )
        # Saving a source onto its own settings is not a duplicate of itself.
        source_update(
            source=first, name="Renamed", role_arn=ROLE_ARN, bucket="acme-billing", prefix="cur",
            export_name="daily", format="auto", is_active=True,
        )  # fmt: skip


def test_the_form_refuses_a_duplicate_link_naming_the_existing_source(org_a: Any, client_for: Any) -> None:
    client = client_for(org_a.admin, org_a)
    assert client.post("/cloud-accounts/add/", FORM).status_code == 302
    response = client.post("/cloud-accounts/add/", {**FORM, "name": "Payer copy", "export_prefix": "/cur/"})
    assert response.status_code == 200
    with tenant_context(org_a.organization):
        existing = CostSource.objects.get(kind=SourceKind.AWS_S3)
    assert f"is already linked as “Payer” (source {existing.pk})" in response.context["form"].errors["export_name"][0]


def test_another_organization_may_link_the_same_export(org_a: Any, org_b: Any) -> None:
    with tenant_context(org_a.organization):
        link()
    with tenant_context(org_b.organization):
        link()
        assert CostSource.objects.filter(kind=SourceKind.AWS_S3).count() == 1


def test_moving_a_source_to_another_bucket_forgets_the_old_buckets_region(org_a: Any) -> None:
    with tenant_context(org_a.organization):
        source = link()
        CostSource.objects.filter(pk=source.pk).update(region="eu-west-1")
        source.refresh_from_db()
        values = {"name": "Payer", "role_arn": ROLE_ARN, "prefix": "cur", "export_name": "daily", "format": "auto"}
        source_update(source=source, bucket="acme-billing", is_active=True, **values)
        assert source.region == "eu-west-1"
        source_update(source=source, bucket="acme-billing-us", is_active=True, **values)
        source.refresh_from_db()
        assert source.region == ""
