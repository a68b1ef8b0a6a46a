"""One source per billing account and period: a bill delivered by two sources is never counted twice.

In-process against real PostgreSQL; the race test uses two threads with their own
connections, committed data and a third connection holding the claim lock as a barrier.
"""

from __future__ import annotations

import datetime
import threading
from decimal import Decimal
from typing import Any

import pytest
from django.db import connections
from django.db.models import Sum
from django_tenants.utils import tenant_context

from costs.ingest.claims import _lock_key
from costs.ingest.delivery import delivery_ingest
from costs.ingest.errors import IngestError
from costs.models import CostLineItem, CostSource, DailyCostRollup, Delivery, SourceKind
from costs.tests.conftest import ROLE_ARN
from costs.tests.test_ingest_atomicity import raw_connection, wait_for
from costs.tests.test_ingest_support import FOCUS_SMALL, as_file, enter

MARCH = datetime.date(2025, 3, 1)
ACCOUNT = "111122223333"  # the billing account of focus_small.csv (1 row in 2025-02, 4 in 2025-03)


def export_source(name: str, prefix: str) -> CostSource:
    # Created directly: the link form refuses the same export twice, but a copy of the bucket
    # under another prefix (or an export linked before that check) delivers the same bill.
    return CostSource.objects.create(
        name=name, kind=SourceKind.AWS_S3, role_arn=ROLE_ARN, bucket="acme-billing", prefix=prefix, export_name="daily"
    )


def billed(source: CostSource | None = None) -> Decimal:
    rows = DailyCostRollup.objects.filter(is_estimate=False)
    if source is not None:
        rows = rows.filter(source=source)
    return rows.aggregate(t=Sum("billed_cost"))["t"] or Decimal(0)


@pytest.fixture
def acme(org_a: Any) -> Any:
    with tenant_context(org_a.organization):
        yield org_a


def test_a_second_export_delivering_the_same_account_and_period_fails_naming_both(acme: Any) -> None:
    first, second = export_source("Payer", "cur"), export_source("Payer (copy)", "copy")
    delivery_ingest(source=first, files=[as_file(FOCUS_SMALL)])
    once = billed()

    with pytest.raises(IngestError) as raised:
        delivery_ingest(source=second, files=[as_file(FOCUS_SMALL)])

    assert str(raised.value) == (
        f"billing account {ACCOUNT} for 2025-02 is already loaded from “Payer” (source {first.pk}, "
        f"s3://acme-billing/cur/daily/); loading it again from “Payer (copy)” (source {second.pk}, "
        "s3://acme-billing/copy/daily/) would count that bill twice, so nothing of this delivery was loaded. "
        "Unlink one of the two sources, or point them at different exports."
    )
    assert billed() == once
    assert not CostLineItem.objects.filter(source=second).exists()
    assert not Delivery.objects.filter(source=second).exists()


def test_a_restatement_by_the_same_source_still_replaces_its_period(acme: Any) -> None:
    source = export_source("Payer", "cur")
    delivery_ingest(source=source, files=[as_file(FOCUS_SMALL)])
    once = billed()
    delivery_ingest(source=source, files=[as_file(FOCUS_SMALL)], delivery_key="restated")
    assert billed() == once
    assert CostLineItem.objects.filter(source=source).count() == 5


def test_an_export_replaces_what_was_uploaded_for_its_account_and_period(acme: Any) -> None:
    uploads = CostSource.objects.uploads()
    delivery_ingest(source=uploads, files=[as_file(FOCUS_SMALL)])
    once = billed()
    source = export_source("Payer", "cur")

    summary = delivery_ingest(source=source, files=[as_file(FOCUS_SMALL)])

    assert billed() == once == billed(source)
    assert billed(uploads) == 0
    assert not CostLineItem.objects.filter(source=uploads).exists()
    assert not Delivery.objects.filter(source=uploads).exists()
    assert summary.replaced == [
        f"replaced the uploaded data of billing account {ACCOUNT} for {period} from “Uploads” (source {uploads.pk}): "
        "the linked export is the bill of record"
        for period in ("2025-02", "2025-03")
    ]


def test_an_upload_of_a_period_a_linked_export_delivers_is_refused(acme: Any) -> None:
    source = export_source("Payer", "cur")
    delivery_ingest(source=source, files=[as_file(FOCUS_SMALL)])
    once = billed()

    with pytest.raises(IngestError, match=r"already loaded from “Payer” .* there is no need to upload it\.$"):
        delivery_ingest(source=CostSource.objects.uploads(), files=[as_file(FOCUS_SMALL)])

    assert billed() == once


@pytest.mark.worker
def test_two_exports_racing_for_one_account_and_period_cannot_both_load_it(committed_org: Any) -> None:
    world = committed_org("raceco")
    enter(world)
    sources = [export_source("Payer", "cur"), export_source("Payer (copy)", "copy")]
    # The barrier: as if a third delivery of that account and period were in its transaction.
    holder = raw_connection()
    holder.autocommit = False
    holder.execute("SELECT pg_advisory_xact_lock(%s)", [_lock_key(world.organization.schema_name, (ACCOUNT, MARCH))])
    outcomes: dict[int, Any] = {}

    def ingest(source: CostSource) -> None:
        try:
            connections["default"].set_tenant(world.organization)  # type: ignore[attr-defined]
            outcomes[source.pk] = delivery_ingest(source=source, files=[as_file(FOCUS_SMALL)])
        except Exception as exc:  # noqa: BLE001 - surfaced by the assertions below
            outcomes[source.pk] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=ingest, args=(s,)) for s in sources]
    for thread in threads:
        thread.start()
    watcher = raw_connection()

    def both_waiting() -> bool:
        row = watcher.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted").fetchone()
        return row is not None and row[0] == 2

    try:
        # Both have loaded their rows and wait for the claim: neither has checked the other yet.
        wait_for(both_waiting, "both deliveries to wait on the claim of account and period")
    finally:
        holder.commit()
        for thread in threads:
            thread.join(60)
        holder.close()
        watcher.close()

    errors = [o for o in outcomes.values() if isinstance(o, Exception)]
    assert len(outcomes) == 2 and len(errors) == 1, outcomes
    assert isinstance(errors[0], IngestError) and "would count that bill twice" in str(errors[0])
    assert CostLineItem.objects.count() == 5
