"""The demo generator: deterministic, realistic shape, and sized as asked."""

from __future__ import annotations

import datetime
import hashlib

import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from costs.demo.generator import cur_generate

START = datetime.date(2025, 1, 1)


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_seed_gives_the_same_files_and_another_seed_does_not(tmp_path):
    a = cur_generate(out=tmp_path / "a", months=1, seed=5, start=START)
    b = cur_generate(out=tmp_path / "b", months=1, seed=5, start=START)
    c = cur_generate(out=tmp_path / "c", months=1, seed=6, start=START)
    assert pq.read_table(a.periods[0].files[0]).equals(pq.read_table(b.periods[0].files[0]))
    assert not pq.read_table(a.periods[0].files[0]).equals(pq.read_table(c.periods[0].files[0]))


def test_rows_option_sizes_the_output(tmp_path):
    result = cur_generate(out=tmp_path, rows=20_000, seed=1, start=START)
    assert 20_000 <= result.rows < 23_000
    assert pq.ParquetFile(result.periods[0].files[0]).metadata.num_rows == result.rows


def test_cur2_has_map_columns_commitments_taxes_and_credits(tmp_path):
    result = cur_generate(out=tmp_path, months=1, seed=2, start=START)
    table = pq.read_table(result.periods[0].files[0])
    assert str(table.schema.field("resource_tags").type).startswith("map<string, string")
    kinds = set(table.column("line_item_line_item_type").to_pylist())
    assert {"Usage", "DiscountedUsage", "RIFee", "Fee", "SavingsPlanCoveredUsage", "SavingsPlanNegation"} <= kinds
    assert {"SavingsPlanRecurringFee", "Tax", "Credit"} <= kinds
    accounts = set(table.column("line_item_usage_account_id").to_pylist())
    assert len(accounts) == 5
    assert len(set(table.column("line_item_product_code").to_pylist())) >= 20
    # Weekly seasonality: a weekday costs more than the weekend for request-driven services.
    lambda_rows = table.filter(pc.equal(table.column("line_item_product_code"), "AWSLambda"))
    days = lambda_rows.group_by("line_item_usage_start_date").aggregate([("line_item_unblended_cost", "sum")])
    by_day = {d["line_item_usage_start_date"].weekday(): d["line_item_unblended_cost_sum"] for d in days.to_pylist()}
    assert by_day[5] < by_day[2]


def test_legacy_csv_has_slash_headers_and_drifts_between_months(tmp_path):
    result = cur_generate(out=tmp_path, format="cur-legacy", months=3, seed=2, start=START)
    headers = [pcsv.read_csv(p.files[0]).column_names for p in result.periods]
    assert "lineItem/UnblendedCost" in headers[0]
    assert "resourceTags/user:project" not in headers[0] and "resourceTags/user:project" in headers[1]
    assert "product/instanceType" in headers[1] and "product/instanceType" not in headers[2]
    assert result.periods[0].manifest.name == "northwind-cur-Manifest.json"


def test_until_stops_usage_like_a_mid_month_delivery_and_keeps_the_months_fees(tmp_path):
    until = datetime.date(2025, 1, 10)
    result = cur_generate(out=tmp_path, months=1, seed=3, start=START, until=until)
    table = pq.read_table(result.periods[0].files[0])
    usage = table.filter(pc.equal(table.column("line_item_line_item_type"), "Usage"))
    last_usage_day = max(d.date() for d in usage.column("line_item_usage_start_date").to_pylist())
    assert last_usage_day == until
    assert "RIFee" in set(table.column("line_item_line_item_type").to_pylist())
    billed = pc.sum(table.column("line_item_unblended_cost")).as_py()
    assert abs(billed - float(result.periods[0].expected_billed)) < 1e-4
    whole = cur_generate(out=tmp_path / "whole", months=1, seed=3, start=START)
    assert result.rows < whole.rows


def _tag_values(path, key: str) -> set[str]:
    tags = pq.read_table(path, columns=["resource_tags"]).column("resource_tags").to_pylist()
    return {value for row in tags for k, value in (row or []) if k == key}


def test_workloads_adds_a_workload_tag_with_that_many_values_and_leaves_the_rest_of_the_bill_unchanged(tmp_path):
    plain = cur_generate(out=tmp_path / "plain", rows=20_000, seed=4, start=START)
    tagged = cur_generate(out=tmp_path / "tagged", rows=20_000, seed=4, start=START, workloads=12)
    [plain_file], [tagged_file] = plain.periods[0].files, tagged.periods[0].files
    assert _tag_values(plain_file, "user_workload") == set()
    assert _tag_values(tagged_file, "user_workload") == {f"wl-{n:03d}" for n in range(12)}
    assert tagged.rows == plain.rows and tagged.periods[0].expected_billed == plain.periods[0].expected_billed
    assert _tag_values(tagged_file, "user_team") == _tag_values(plain_file, "user_team")
