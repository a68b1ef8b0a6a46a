"""One source per billing account and period, so no bill is counted twice.

Two sources that deliver the same billing account's period (the same export linked twice,
a copy of the bucket linked again, a file uploaded on top of a linked export) would add up
to twice the bill. Inside the delivery's transaction, after its rows are loaded and before
the period is replaced, `claims_settle` locks every (billing account, period) the delivery
carries, in sorted order, and looks at who else holds them. Because the lock is held until
commit and the other source's rows and rollups commit together under the same lock, two
deliveries racing for one account and period cannot both pass.

The rules:
- the same source: a restatement, it replaces its own period as always;
- a linked export (kind aws_s3) against another linked export: the later delivery fails,
  naming both sources;
- a linked export against uploaded files: the export is the bill of record and uploads
  stand in until it arrives, so the uploaded rows of that account and period are removed
  (and that source's rollups rebuilt) in the same transaction, and the job says so;
- uploaded files against a linked export that has the period: the upload fails, naming it;
- uploaded files against another upload source (the demo data): the later one fails.
Cost Explorer estimates never hold a period: they are dropped where a bill covers the day.
"""

from __future__ import annotations

import datetime
import hashlib
from typing import Any

from costs.ingest.errors import IngestError
from costs.ingest.rollups import rollups_rebuild
from costs.models import CostSource, Delivery, SourceKind

Claim = tuple[str, datetime.date]  # (billing account id, billing period)


def _lock_key(schema: str, claim: Claim) -> int:
    account, period = claim
    raw = hashlib.blake2b(f"claim:{schema}:{account}:{period:%Y-%m}".encode(), digest_size=8).digest()
    return int.from_bytes(raw, "big", signed=True)


def _describe(source: CostSource) -> str:
    where = ""
    if source.kind == SourceKind.AWS_S3:
        root = "/".join(p for p in (source.prefix, source.export_name) if p)
        where = f", s3://{source.bucket}/{root}/"
    return f"“{source.name}” (source {source.pk}{where})"


def claims_settle(cursor: Any, *, schema: str, source: CostSource, claims: set[Claim]) -> list[str]:
    """Lock the delivery's (billing account, period) pairs and settle them with other sources; returns notes.

    Raises IngestError when another source holds one of them and this delivery may not take it over.
    """
    ordered = sorted(claims)
    for claim in ordered:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_lock_key(schema, claim)])
    if not ordered:
        return []
    cursor.execute(
        """SELECT DISTINCT source_id, billing_account_id, billing_period FROM costs_dailycostrollup
           WHERE NOT is_estimate AND source_id <> %s AND billing_account_id = ANY(%s) AND billing_period = ANY(%s)""",
        [source.pk, sorted({a for a, _ in ordered}), sorted({p for _, p in ordered})],
    )
    held = [(source_id, (account, period)) for source_id, account, period in cursor.fetchall()]
    held = sorted((source_id, claim) for source_id, claim in held if claim in claims)
    if not held:
        return []
    holders = CostSource.objects.in_bulk({source_id for source_id, _ in held})
    notes: list[str] = []
    for source_id, (account, period) in held:
        holder = holders[source_id]
        if source.kind == SourceKind.AWS_S3 and holder.kind == SourceKind.UPLOAD:
            _upload_rows_remove(cursor, holder=holder, account=account, period=period)
            notes.append(
                f"replaced the uploaded data of billing account {account} for {period:%Y-%m} "
                f"from {_describe(holder)}: the linked export is the bill of record"
            )
            continue
        if holder.kind == SourceKind.AWS_S3 and source.kind != SourceKind.AWS_S3:
            remedy = "The linked export delivers this period; there is no need to upload it."
        else:
            remedy = "Unlink one of the two sources, or point them at different exports."
        raise IngestError(
            f"billing account {account} for {period:%Y-%m} is already loaded from {_describe(holder)}; "
            f"loading it again from {_describe(source)} would count that bill twice, so nothing of this delivery "
            f"was loaded. {remedy}"
        )
    return notes


def _upload_rows_remove(cursor: Any, *, holder: CostSource, account: str, period: datetime.date) -> None:
    cursor.execute(
        "DELETE FROM costs_costlineitem WHERE source_id = %s AND billing_period = %s AND billing_account_id = %s",
        [holder.pk, period, account],
    )
    rollups_rebuild(cursor, source_id=holder.pk, periods=[period])
    cursor.execute(
        "SELECT EXISTS (SELECT 1 FROM costs_costlineitem WHERE source_id = %s AND billing_period = %s)",
        [holder.pk, period],
    )
    if not cursor.fetchone()[0]:
        Delivery.objects.filter(source=holder, billing_period=period).delete()
