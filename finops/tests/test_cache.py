"""Cache keys carry the organization's schema: one organization never reads another's entries."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django_tenants.utils import schema_context


def test_the_same_key_holds_separate_values_per_organization(db: Any) -> None:
    with schema_context("org_acme"):
        cache.set("monthly-total", "acme's figure", 60)
    with schema_context("org_globex"):
        assert cache.get("monthly-total") is None
        cache.set("monthly-total", "globex's figure", 60)
    with schema_context("org_acme"):
        assert cache.get("monthly-total") == "acme's figure"
    with schema_context("public"):
        assert cache.get("monthly-total") is None


def test_every_cache_reuses_one_redis_client_per_pool(db: Any) -> None:
    from django.core.cache import caches

    for alias in ("default", "account_guards_global", "global"):
        backend = caches[alias]._cache  # type: ignore[attr-defined]
        assert backend.get_client(write=True) is backend.get_client(write=False)
        caches[alias].set("reused-client", alias, 60)
        assert caches[alias].get("reused-client") == alias
        caches[alias].delete("reused-client")
