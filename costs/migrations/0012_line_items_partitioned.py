"""Line items become a table partitioned by (billing period, source, load): costs.ingest.partitions.

The existing rows move into one partition per (source, billing period, load) named as
`partition_name` names them. The (source, billing period) index goes: a partition holds one of
each, and partition pruning finds it. The primary key takes the partition key's columns (a
unique index on a partitioned table must); ids still come from one identity sequence. A deleted source's
line items go with its partitions (costs.apps), not by Django's cascade (a DELETE over every partition).
Irreversible: going back would mean copying every line item into one table again.
"""

import django.db.models.deletion
from django.db import migrations, models

FORWARD = """
ALTER TABLE costs_costlineitem RENAME TO costs_costlineitem_unpartitioned;
ALTER TABLE costs_costlineitem_unpartitioned DROP CONSTRAINT costs_costlineitem_pkey;
DROP INDEX costs_line_source_period, costs_line_charge_start, costs_line_svc_usage_start, costs_line_billed_cost_id;
CREATE TABLE costs_costlineitem (
    LIKE costs_costlineitem_unpartitioned INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING STORAGE
) PARTITION BY RANGE (billing_period, source_id, load_id);
ALTER TABLE costs_costlineitem ADD CONSTRAINT costs_costlineitem_pkey PRIMARY KEY (id, source_id, billing_period, load_id);
CREATE INDEX costs_line_charge_start ON costs_costlineitem (charge_period_start);
CREATE INDEX costs_line_svc_usage_start ON costs_costlineitem (service_name, x_usage_type, charge_period_start);
CREATE INDEX costs_line_billed_cost_id ON costs_costlineitem (billed_cost DESC NULLS LAST, id DESC);
DO $$
DECLARE
    part record;
BEGIN
    FOR part IN SELECT DISTINCT source_id, billing_period, load_id FROM costs_costlineitem_unpartitioned LOOP
        EXECUTE format(
            'CREATE TABLE %I PARTITION OF costs_costlineitem FOR VALUES FROM (%L, %s, %s) TO (%L, %s, %s)',
            format('costs_lines_%s_%s_%s', part.source_id, to_char(part.billing_period, 'YYYYMM'), to_hex(part.load_id)),
            part.billing_period, part.source_id, part.load_id, part.billing_period, part.source_id, part.load_id + 1
        );
    END LOOP;
END $$;
INSERT INTO costs_costlineitem SELECT * FROM costs_costlineitem_unpartitioned;
SELECT setval(pg_get_serial_sequence('costs_costlineitem', 'id'),
              coalesce((SELECT max(id) FROM costs_costlineitem_unpartitioned), 0) + 1, false);
DROP TABLE costs_costlineitem_unpartitioned;
DO $$
BEGIN
    EXECUTE format('ALTER SEQUENCE %s RENAME TO costs_costlineitem_id_seq', pg_get_serial_sequence('costs_costlineitem', 'id'));
END $$;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("costs", "0011_line_item_fk_indexes_dropped"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(FORWARD)],
            state_operations=[
                migrations.RemoveIndex(model_name="costlineitem", name="costs_line_source_period"),
                migrations.AlterField(
                    model_name="costlineitem",
                    name="source",
                    field=models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="costs.costsource",
                    ),
                ),
            ],
        ),
    ]
