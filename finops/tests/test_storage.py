"""Uploaded files are stored under the organization's schema prefix, on S3 (moto over HTTP) or disk."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.base import ContentFile
from django_tenants.utils import schema_context

from finops.aws.testing import moto_client
from finops.storage import TenantFileSystemStorage, TenantS3Storage


@pytest.fixture(scope="module")
def moto_s3(moto_endpoint: str) -> Any:
    client = moto_client("s3", moto_endpoint)
    client.create_bucket(Bucket="finops-files")
    yield moto_endpoint, client
    for item in client.list_objects_v2(Bucket="finops-files").get("Contents", []):
        client.delete_object(Bucket="finops-files", Key=item["Key"])
    client.delete_bucket(Bucket="finops-files")


def test_s3_keys_carry_the_schema_of_the_current_organization(moto_s3: Any) -> None:
    endpoint, client = moto_s3
    storage = TenantS3Storage(
        bucket_name="finops-files", endpoint_url=endpoint, access_key="t", secret_key="t", region_name="us-east-1"
    )
    with schema_context("org_acme"):
        name = storage.save("uploads/report.csv", ContentFile(b"a,b\n1,2\n"))
        assert storage.open(name).read() == b"a,b\n1,2\n"
    with schema_context("org_globex"):
        assert not storage.exists(name)  # the same name addresses globex's own prefix
    keys = [o["Key"] for o in client.list_objects_v2(Bucket="finops-files")["Contents"]]
    assert keys == ["tenants/org_acme/uploads/report.csv"]


def test_tenant_storage_refuses_to_work_in_the_public_schema(tmp_path: Any) -> None:
    storage = TenantFileSystemStorage(location=str(tmp_path))
    with schema_context("public"), pytest.raises(RuntimeError, match="outside an organization"):
        storage.save("x.csv", ContentFile(b"x"))
    with schema_context("org_acme"):
        saved = storage.save("x.csv", ContentFile(b"x"))
    assert (tmp_path / "tenants" / "org_acme" / saved).read_bytes() == b"x"
