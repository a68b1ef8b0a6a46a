"""Line items are stored one partition per (billing period, source, load).

costs_costlineitem is partitioned by RANGE (billing_period, source_id, load_id) (migration 0012), so a
question about some billing periods (or some sources' periods) reads only their partitions.
A delivery COPYs each billing period into a fresh table with no index at all, builds the indexes
once the rows are in (a sorted build, not one insertion per row per index), and at the end of
its transaction swaps it in: the period's earlier partitions are emptied and the new one is
attached. Measured on a 949,009-line month: COPY into the indexed (unpartitioned) table took 13.5 s,
the same rows into a bare table 7.2 s, and building the indexes afterwards 2.2-2.8 s.
A new partition has no statistics until autovacuum analyzes it (within autovacuum_naptime, a
minute by default); ANALYZE in the delivery would cost ~0.3 s a month and is not done.

Locks: attaching takes SHARE UPDATE EXCLUSIVE on the parent (concurrent deliveries attach one
after another; readers are not blocked), emptying an old partition takes ACCESS EXCLUSIVE on
that partition only (readers of it wait for the commit, a moment: the swap is the delivery's
last step). Dropping the emptied partitions needs ACCESS EXCLUSIVE on the parent, so it happens
after the commit, in its own short transaction (`partitions_drop`); one it cannot drop (busy)
stays empty and attached until the next delivery of that period tries again.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.db import connection, transaction

PARENT = "costs_costlineitem"
# Index builds run once per delivered period; PostgreSQL's default (64 MB) sorts a big month in runs.
MAINTENANCE_WORK_MEM = "256MB"

logger = logging.getLogger(__name__)


def partition_name(*, source_id: int, period: datetime.date, load_id: int) -> str:
    """The partition's table name; migration 0012 names the partitions of older data the same way."""
    return f"costs_lines_{source_id}_{period:%Y%m}_{load_id:x}"


def _bounds(source_id: int, period: datetime.date, load_id: int) -> str:
    day, source, load = f"'{period.isoformat()}'", int(source_id), int(load_id)
    return f"FROM ({day}, {source}, {load}) TO ({day}, {source}, {load + 1})"


def staging_create(cursor: Any, *, source_id: int, period: datetime.date, load_id: int) -> str:
    """A bare table shaped like the line items for one period of this load; returns its name.

    Its CHECK constraint is the partition's bounds, so attaching it later need not scan it; its ids
    come from the parent's identity sequence, as if the rows had been inserted through the parent.
    """
    name = partition_name(source_id=source_id, period=period, load_id=load_id)
    cursor.execute(
        f"CREATE TABLE {name} (LIKE {PARENT} INCLUDING DEFAULTS, CHECK (source_id = %s AND billing_period = %s "
        f"AND load_id = %s))",
        [source_id, period, load_id],
    )
    # The sequence looked up once: as the default's own expression, pg_get_serial_sequence ran for every
    # row (COPY of a 929,873-line month 8.3 s instead of 6.2).
    cursor.execute(f"SELECT pg_get_serial_sequence('{PARENT}', 'id')")
    sequence = cursor.fetchone()[0]
    cursor.execute(f"ALTER TABLE {name} ALTER id SET DEFAULT nextval(%s::regclass)", [sequence])
    return name


def _parent_indexes(cursor: Any) -> list[str]:
    """The parent's primary key and indexes as statements for a partition of it (`{table}` to fill in).

    Read from the catalog, so a partition's indexes always match the parent's (attaching then adopts
    them instead of building its own).
    """
    cursor.execute(
        """SELECT 'ALTER TABLE {table} ADD ' || pg_get_constraintdef(k.oid) FROM pg_constraint k
           WHERE k.conrelid = %s::regclass AND k.contype = 'p'
           UNION ALL
           SELECT 'CREATE INDEX ON {table} ' || substring(pg_get_indexdef(i.indexrelid) FROM ' USING .*$')
           FROM pg_index i WHERE i.indrelid = %s::regclass
             AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)""",
        [PARENT, PARENT],
    )
    return [row[0] for row in cursor.fetchall()]


def staging_index(cursor: Any, name: str) -> None:
    """Build the partition's primary key and indexes over its rows (after the COPY, in the transaction)."""
    cursor.execute("SELECT set_config('maintenance_work_mem', %s, true)", [MAINTENANCE_WORK_MEM])
    for statement in _parent_indexes(cursor):
        cursor.execute(statement.format(table=name))


def _partitions_of(cursor: Any, *, source_id: int, period: datetime.date | None = None) -> list[str]:
    """The partitions of a source's period (of every period when `period` is None)."""
    prefix = f"costs_lines_{source_id}_{period:%Y%m}_" if period else f"costs_lines_{source_id}_"
    cursor.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = %s::regclass AND starts_with(c.relname, %s) ORDER BY c.relname",
        [PARENT, prefix],
    )
    return [row[0] for row in cursor.fetchall()]


def _partitions_empty(cursor: Any, names: list[str]) -> None:
    """Empty these partitions now (ACCESS EXCLUSIVE on each, not on the parent); drop them after the commit."""
    if names:
        cursor.execute(f"TRUNCATE {', '.join(names)}")
        transaction.on_commit(lambda: partitions_drop(names))


def staging_swap_in(cursor: Any, *, source_id: int, period: datetime.date, load_id: int) -> None:
    """Empty the period's earlier partitions and attach this load's table in their place (same transaction)."""
    name = partition_name(source_id=source_id, period=period, load_id=load_id)
    _partitions_empty(
        cursor, [other for other in _partitions_of(cursor, source_id=source_id, period=period) if other != name]
    )
    cursor.execute(f"ALTER TABLE {PARENT} ATTACH PARTITION {name} FOR VALUES {_bounds(source_id, period, load_id)}")


def source_partitions_release(cursor: Any, *, source_id: int) -> None:
    """A source is being deleted: its line items go with its partitions (emptied now, dropped after the
    commit); its foreign key does not cascade."""
    _partitions_empty(cursor, _partitions_of(cursor, source_id=source_id))


def partition_attach_empty(cursor: Any, *, source_id: int, period: datetime.date, load_id: int) -> str:
    """An empty partition for rows written through the parent (the naive bulk_create benchmark)."""
    name = partition_name(source_id=source_id, period=period, load_id=load_id)
    cursor.execute(f"CREATE TABLE {name} PARTITION OF {PARENT} FOR VALUES {_bounds(source_id, period, load_id)}")
    return name


def partitions_drop(names: list[str]) -> None:
    """Drop emptied partitions, each in its own short transaction; one that is busy is left for later."""
    for name in names:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                # While DROP waits for the parent's readers, new readers queue behind it: wait briefly.
                cursor.execute("SET LOCAL lock_timeout = '250ms'")
                cursor.execute(f"DROP TABLE IF EXISTS {name}")
        except Exception:  # noqa: BLE001 - an empty partition left attached is harmless; the next delivery retries
            logger.warning("could not drop the emptied line-item partition %s; left for the next delivery", name)
