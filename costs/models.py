"""Tenant-schema cost data. Filled in by the ingestion work (issue 3)."""
