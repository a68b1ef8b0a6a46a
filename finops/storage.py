"""File storage whose keys start with the organization's schema name.

Uploads of one organization can never be addressed by another: the prefix comes from the
connection's current schema, not from anything the request supplies.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from storages.backends.s3 import S3Storage

from finops.db import current_schema


def tenant_prefix() -> str:
    schema = current_schema()
    if not schema or schema == "public":
        raise RuntimeError("tenant file storage used outside an organization's schema")
    return f"tenants/{schema}"


class TenantFileSystemStorage(FileSystemStorage):
    # Django caches these per storage instance; they must follow the current schema instead.
    @property  # type: ignore[override]
    def base_location(self) -> str:
        root = self._value_or_setting(self._location, settings.MEDIA_ROOT)  # type: ignore[attr-defined]
        return os.path.join(root, tenant_prefix())

    @property  # type: ignore[override]
    def location(self) -> str:
        return os.path.abspath(self.base_location)


class TenantS3Storage(S3Storage):
    def _normalize_name(self, name: str) -> str:
        return super()._normalize_name(f"{tenant_prefix()}/{name}")
