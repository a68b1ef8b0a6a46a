"""Line items live in one partition per (source, billing period, load): costs.ingest.partitions.

A delivery builds its period's partition aside and swaps it in at its commit; the one it replaces
is dropped after the commit; a batch holding two periods goes to both; a deleted source takes its
partitions along; migration 0012 moves an existing table's rows into partitions, ids and all.
"""

from __future__ import annotations

import datetime
import importlib
import io

import pytest
from django.db import IntegrityError, connection, transaction

from costs.ingest.delivery import DeliveryFile, delivery_ingest
from costs.ingest.errors import IngestError
from costs.ingest.partitions import partition_name
from costs.models import CostLineItem, CostSource, SourceKind
from costs.tests.test_ingest_support import FOCUS_SMALL, as_file, db_totals, enter, line_count

MARCH = datetime.date(2025, 3, 1)
FEBRUARY = datetime.date(2025, 2, 1)
MARCH_START = "2025-03-01T00:00:00Z"
HEADER, *ROWS = FOCUS_SMALL.read_text().splitlines()


def partitions() -> dict[str, int]:
    """Every line-item partition of the current organization with its row count."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'costs_costlineitem'::regclass ORDER BY 1"
        )
        names = [row[0] for row in cursor.fetchall()]
        counts = {}
        for name in names:
            cursor.execute(f"SELECT count(*) FROM {name}")
            counts[name] = cursor.fetchone()[0]
    return counts


def load_ids(source: CostSource) -> set[int]:
    return set(CostLineItem.objects.filter(source=source).values_list("load_id", flat=True).distinct())


def in_february(row: str) -> str:
    """A FOCUS_SMALL row moved to the February 2025 billing period (same day numbers)."""
    return row.replace("2025-03-", "2025-02-").replace("2025-04-01T00:00:00Z", "2025-03-01T00:00:00Z")


def memory_file(name: str, rows: list[str]) -> DeliveryFile:
    data = ("\n".join([HEADER, *rows]) + "\n").encode()
    return DeliveryFile(name=name, open=lambda: io.BytesIO(data), size=len(data))


def test_a_redelivery_replaces_the_period_partitions_and_drops_the_old_ones(committed_org):
    enter(committed_org("partswap"))
    source = CostSource.objects.uploads()
    delivery_ingest(source=source, files=[as_file(FOCUS_SMALL)])  # four March lines, one of February
    (first_load,) = load_ids(source)
    assert partitions() == {
        partition_name(source_id=source.pk, period=MARCH, load_id=first_load): 4,
        partition_name(source_id=source.pk, period=FEBRUARY, load_id=first_load): 1,
    }
    totals = db_totals()

    march_only = [row for row in ROWS if row.split(",")[HEADER.split(",").index("BillingPeriodStart")] == MARCH_START]
    delivery_ingest(source=source, files=[memory_file("march.csv", march_only)])  # committed: old March dropped
    (second_load,) = load_ids(source) - {first_load}
    assert partitions() == {
        partition_name(source_id=source.pk, period=MARCH, load_id=second_load): 4,
        partition_name(source_id=source.pk, period=FEBRUARY, load_id=first_load): 1,
    }
    assert db_totals() == totals and line_count() == len(ROWS)


def test_a_batch_of_two_periods_fills_both_and_a_bad_row_is_named_by_its_file_row(org_a):
    enter(org_a)
    source = CostSource.objects.uploads()
    rows = [ROWS[0], in_february(ROWS[1]), ROWS[2], in_february(ROWS[3])]
    summary = delivery_ingest(source=source, files=[memory_file("two.csv", rows)])
    assert summary.billing_periods == ["2025-02", "2025-03"]
    (load,) = load_ids(source)
    assert partitions() == {
        partition_name(source_id=source.pk, period=MARCH, load_id=load): 2,
        partition_name(source_id=source.pk, period=FEBRUARY, load_id=load): 2,
    }

    # The database rejects the 4th row (a region id longer than its column): it is the 2nd row of
    # February's COPY, and the error names the file's row 4.
    region = HEADER.split(",").index("RegionId")
    cells = in_february(ROWS[3]).split(",")
    cells[region] = "r" * 101
    with pytest.raises(IngestError, match=r"^two\.csv, row 4\b.*rejected by the database"):
        delivery_ingest(source=source, files=[memory_file("two.csv", [*rows[:3], ",".join(cells)])])
    assert load_ids(source) == {load}  # the earlier delivery is intact


def test_deleting_a_source_drops_its_partitions_only(committed_org):
    enter(committed_org("partdelete"))
    uploads = CostSource.objects.uploads()
    delivery_ingest(source=uploads, files=[as_file(FOCUS_SMALL)])
    kept = set(partitions())
    other = CostSource.objects.create(
        name="second export", kind=SourceKind.AWS_S3, bucket="b", prefix="p", export_name="e"
    )
    rows = [row.replace("111122223333", "999988887777") for row in ROWS]  # another billing account
    delivery_ingest(source=other, files=[memory_file("other.csv", rows)])
    assert len(partitions()) == 4  # two periods each

    other.delete()
    assert set(partitions()) == kept
    assert line_count() == len(ROWS)


def test_a_delivery_for_a_source_deleted_meanwhile_fails_whole_at_commit(committed_org):
    """The explorer summaries' rows have no database FK check (costs.summary_models.summary_source): the
    rollups' FK still fails the delivery at commit, and nothing of it stays."""
    enter(committed_org("partgone"))
    other = CostSource.objects.create(name="gone", kind=SourceKind.AWS_S3, bucket="b", prefix="p", export_name="e")
    with pytest.raises(IntegrityError), transaction.atomic():
        with connection.cursor() as cursor:  # what a deletion committed during the delivery amounts to
            cursor.execute("DELETE FROM costs_costsource WHERE id = %s", [other.pk])
        delivery_ingest(source=other, files=[as_file(FOCUS_SMALL)])
    assert partitions() == {}
    with connection.cursor() as cursor:
        for table in (
            "costs_dailycostrollup",
            "costs_dailyusagecost",
            "costs_dailytagcost",
            "costs_monthlyresourcecost",
        ):
            cursor.execute(f"SELECT count(*) FROM {table}")
            assert cursor.fetchone()[0] == 0, table


@pytest.mark.django_db
def test_migration_0012_moves_every_row_into_its_partition_with_its_id(org_a):
    """The migration's SQL on a table shaped as before it (plain table, identity id, the old indexes)."""
    forward = importlib.import_module("costs.migrations.0012_line_items_partitioned").FORWARD
    template = org_a.organization.schema_name
    with connection.cursor() as cursor:
        cursor.execute("CREATE SCHEMA before_0012")
        cursor.execute(
            f"CREATE TABLE before_0012.costs_costlineitem (LIKE {template}.costs_costlineitem "
            "INCLUDING DEFAULTS INCLUDING IDENTITY)"
        )
    connection.set_schema("before_0012")  # type: ignore[attr-defined]  # as migrate_schemas runs a migration
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE costs_costlineitem ADD CONSTRAINT costs_costlineitem_pkey PRIMARY KEY (id)")
        for index, columns in (
            ("costs_line_source_period", "source_id, billing_period"),
            ("costs_line_charge_start", "charge_period_start"),
            ("costs_line_svc_usage_start", "service_name, x_usage_type, charge_period_start"),
            ("costs_line_billed_cost_id", "billed_cost DESC NULLS LAST, id DESC"),
        ):
            cursor.execute(f"CREATE INDEX {index} ON costs_costlineitem ({columns})")
        lines = [(7, 1, "2025-02-01", 11), (8, 1, "2025-02-01", 11), (9, 1, "2025-03-01", 12), (30, 2, "2025-03-01", 5)]
        for line_id, source_id, period, load in lines:
            cursor.execute(
                "INSERT INTO costs_costlineitem (id, source_id, billing_period, load_id, billing_period_start, "
                "charge_period_start, billing_account_id, provider_name, charge_category, billing_currency, "
                "billed_cost) VALUES (%s, %s, %s, %s, %s, %s, 'a', 'AWS', 'Usage', 'USD', 1.5)",
                [line_id, source_id, period, load, period, period],
            )
        cursor.execute(forward)

        cursor.execute("SELECT relkind FROM pg_class WHERE oid = 'costs_costlineitem'::regclass")
        assert cursor.fetchone()[0] == "p"
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'costs_costlineitem'::regclass ORDER BY 1"
        )
        assert [row[0] for row in cursor.fetchall()] == sorted(
            {
                partition_name(source_id=s, period=datetime.date.fromisoformat(p), load_id=load)
                for _, s, p, load in lines
            }
        )
        cursor.execute("SELECT id, source_id, billing_period::text, load_id FROM costs_costlineitem ORDER BY id")
        assert cursor.fetchall() == lines
        cursor.execute("SELECT pg_get_serial_sequence('costs_costlineitem', 'id')")
        assert cursor.fetchone()[0] == "before_0012.costs_costlineitem_id_seq"
        cursor.execute(
            "INSERT INTO costs_costlineitem (source_id, billing_period, load_id, billing_period_start, "
            "charge_period_start, billing_account_id, provider_name, charge_category, billing_currency, billed_cost) "
            "VALUES (1, '2025-02-01', 11, '2025-02-01', '2025-02-01', 'a', 'AWS', 'Usage', 'USD', 1) RETURNING id"
        )
        assert cursor.fetchone()[0] == 31
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = 'before_0012' AND tablename = 'costs_costlineitem' "
            "ORDER BY 1"
        )
        assert [row[0] for row in cursor.fetchall()] == [
            "costs_costlineitem_pkey",
            "costs_line_billed_cost_id",
            "costs_line_charge_start",
            "costs_line_svc_usage_start",
        ]
