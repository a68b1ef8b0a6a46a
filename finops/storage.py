"""File storage whose keys start with the organization's schema name.

Uploads of one organization can never be addressed by another: the prefix comes from the
connection's current schema, not from anything the request supplies.
"""

from __future__ import annotations

from django.core.files.storage import FileSystemStorage
from storages.backends.s3 import S3Storage

from finops.db import current_schema


def tenant_prefix() -> str:
    schema = current_schema()
    if not schema or schema == "public":
        raise RuntimeError("tenant file storage used outside an organization's schema")
    return f"tenants/{schema}"


class TenantFileSystemStorage(FileSystemStorage):
    def path(self, name: str) -> str:
        return super().path(f"{tenant_prefix()}/{name}")


class TenantS3Storage(S3Storage):
    def _normalize_name(self, name: str) -> str:
        return super()._normalize_name(f"{tenant_prefix()}/{name}")
