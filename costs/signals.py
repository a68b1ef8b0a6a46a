"""Signals other apps may listen to without `costs` knowing them (costs never imports its listeners)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent after the transaction that recorded a succeeded ingestion job commits, in the
# organization's schema. Keyword arguments: job_id, billing_periods.
ingestion_succeeded = Signal()
