"""Tenant-schema recommendations. Filled in by the recommendations work."""
