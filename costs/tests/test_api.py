"""The bill through the integration API: sources, jobs, summary, breakdown and line items answer
what the explorer's selectors answer, money as exact decimal strings (null for a basis an export
lacks), and another organization's key or ids get 401/404."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test import Client

from costs.demo.generator import cur_generate
from costs.ingest.delivery import delivery_ingest
from costs.models import CostSource, IngestionJob
from costs.selectors import cost_breakdown, cost_line_items, cost_query_parse, cost_range_totals
from costs.selectors.summary_tables import LINES
from costs.tests.test_ingest_support import as_file
from finops.db import use_public_schema
from tenants.models import ApiKeyScope
from tenants.services.api_keys import api_key_create

START = datetime.date(2025, 1, 1)
END = datetime.date(2025, 2, 28)
EURO_BILL = (
    "BillingAccountId,BillingCurrency,BillingPeriodStart,ChargePeriodStart,ChargeCategory,ServiceName,BilledCost,EffectiveCost,Tags\n"
    '999900001111,EUR,2025-02-01T00:00:00Z,2025-02-03T00:00:00Z,Usage,Amazon Elastic Compute Cloud,40.00,40.00,"{""team"": ""web""}"\n'
    "999900001111,EUR,2025-02-01T00:00:00Z,2025-02-01T00:00:00Z,Tax,Amazon Elastic Compute Cloud,8.40,8.40,\n"
)


@pytest.fixture(scope="module")
def bill(shared_worlds: Any, django_db_blocker: Any, tmp_path_factory: Any) -> Any:
    """Two months of generated CUR 2.0 (USD) and a FOCUS euro bill without unblended figures, in umbrella;
    a source in initrode too, with more ids than umbrella has."""
    world, other = shared_worlds
    folder = tmp_path_factory.mktemp("bill")
    generated = cur_generate(out=folder, months=2, rows=1_500, start=START)
    euro = folder / "euro.csv"
    euro.write_text(EURO_BILL)
    with django_db_blocker.unblock():
        connection.set_tenant(world.organization)  # type: ignore[attr-defined]
        source = CostSource.objects.uploads()
        for period in generated.periods:
            delivery_ingest(source=source, files=[as_file(period.files[0])])
        eu = CostSource.objects.create(name="EU", kind="upload")
        delivery_ingest(source=eu, files=[as_file(euro)])
        IngestionJob.objects.create(
            source=eu, trigger="upload", status="succeeded", rows=2, billing_periods=["2025-02"]
        )
        IngestionJob.objects.create(source=source, trigger="upload", status="failed", error="not a report")
        IngestionJob.objects.create(source=source, trigger="upload", status="succeeded", rows=1_500)
        connection.set_tenant(other.organization)  # type: ignore[attr-defined]
        theirs = [CostSource.objects.create(name=f"initrode {n}", kind="upload") for n in range(5)]
        use_public_schema()
        keys = {
            "read": api_key_create(organization=world.organization, name="r", scope=ApiKeyScope.READ, created_by=None),
            "other": api_key_create(organization=other.organization, name="o", scope=ApiKeyScope.READ, created_by=None),
        }
    return {"world": world, "other": other, "source": source, "eu": eu, "theirs": theirs, "keys": keys}


@pytest.fixture
def api(bill: Any, db: Any) -> Client:
    return Client(HTTP_HOST=bill["world"].host, HTTP_AUTHORIZATION=f"Bearer {bill['keys']['read'].secret}")


def enter(bill: Any) -> None:
    connection.set_tenant(bill["world"].organization)  # type: ignore[attr-defined]


def money(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def test_sources_list_and_detail(api: Client, bill: Any) -> None:
    listed = api.get("/api/v1/sources").json()
    assert listed["count"] == 2
    assert {s["name"] for s in listed["results"]} == {"Uploads", "EU"}
    detail = api.get(f"/api/v1/sources/{bill['eu'].pk}").json()
    assert detail["name"] == "EU" and detail["kind"] == "upload"


def test_another_organizations_source_and_job_ids_are_404(api: Client, bill: Any) -> None:
    # Each schema numbers its own rows: probe the ids only initrode's schema has.
    only_theirs = [s.pk for s in bill["theirs"] if s.pk > bill["eu"].pk]
    assert only_theirs
    for pk in only_theirs:
        assert api.get(f"/api/v1/sources/{pk}").status_code == 404
        assert api.get(f"/api/v1/sources/{pk}").json()["error"]["code"] == "not_found"
    enter(bill)
    last_job = IngestionJob.objects.order_by("-pk").first()
    assert last_job is not None
    assert api.get(f"/api/v1/jobs/{last_job.pk + 1}").status_code == 404


def test_another_organizations_key_is_401_on_every_costs_resource(bill: Any, db: Any) -> None:
    intruder = Client(HTTP_HOST=bill["world"].host, HTTP_AUTHORIZATION=f"Bearer {bill['keys']['other'].secret}")
    for path in ("/api/v1/costs/summary", "/api/v1/costs/breakdown", "/api/v1/costs/line-items", "/api/v1/jobs"):
        response = intruder.get(path)
        assert response.status_code == 401, path
        assert b"Amazon" not in response.content


def test_jobs_list_filters_by_source_and_status(api: Client, bill: Any) -> None:
    everything = api.get("/api/v1/jobs").json()
    assert everything["count"] == 3
    eu_jobs = api.get(f"/api/v1/jobs?source={bill['eu'].pk}&status=succeeded").json()["results"]
    assert [job["source"] for job in eu_jobs] == [bill["eu"].pk]
    assert eu_jobs[0]["rows"] == 2 and eu_jobs[0]["progress"] == 1.0
    assert api.get(f"/api/v1/jobs/{eu_jobs[0]['id']}").json()["billing_periods"] == ["2025-02"]
    assert api.get("/api/v1/jobs?status=exploded").status_code == 400


def test_the_summary_is_every_basis_per_currency_with_null_where_the_export_lacks_it(api: Client, bill: Any) -> None:
    body = api.get(f"/api/v1/costs/summary?start={START}&end={END}").json()
    enter(bill)
    expected = cost_range_totals(start=START, end=END)
    assert [c["currency"] for c in body["currencies"]] == ["EUR", "USD"]
    for row, want in zip(body["currencies"], expected, strict=True):
        for basis in ("billed_cost", "effective_cost", "list_cost", "unblended_cost"):
            assert row[basis] == money(want[basis])
    eur = body["currencies"][0]
    assert eur["billed_cost"] == "48.4000000000" or Decimal(eur["billed_cost"]) == Decimal("48.40")
    assert eur["unblended_cost"] is None  # FOCUS carries no unblended cost
    # Independently of the rollups: the line items' plain sum of billed cost.
    query = cost_query_parse({"start": [str(START)], "end": [str(END)], "group_by": ["none"]}, today=END)
    lines = cost_breakdown(query=query, read_from=LINES)
    usd = next(c for c in body["currencies"] if c["currency"] == "USD")
    assert Decimal(usd["billed_cost"]) == lines.totals["USD"]


def test_the_summary_refuses_breakdown_parameters(api: Client) -> None:
    response = api.get("/api/v1/costs/summary?group_by=region")
    assert response.status_code == 400
    assert "group_by" in response.json()["error"]["fields"]


def test_the_breakdown_reads_the_explorers_url_and_answers_its_figures(api: Client, bill: Any) -> None:
    params = [
        ("start", str(START)),
        ("end", str(END)),
        ("granularity", "month"),
        ("group_by", "region"),
        ("exclude.charge_category", "Tax"),
        ("basis", "effective_cost"),
    ]
    body = api.get(f"/api/v1/costs/breakdown?{urlencode(params)}").json()
    enter(bill)
    query = cost_query_parse({k: [v] for k, v in params}, today=END)
    expected = cost_breakdown(query=query)
    assert body["query"]["parameters"] == query.to_querystring()
    assert body["buckets"] == ["2025-01-01", "2025-02-01"]
    assert body["totals"] == {cur: money(total) for cur, total in expected.totals.items()}
    assert [(r["group"], r["currency"], r["total"]) for r in body["rows"]] == [
        (r.group, r.currency, money(r.total)) for r in expected.rows
    ]
    assert body["read_from"] == expected.read_from


def test_a_wrong_explorer_parameter_is_400_naming_it(api: Client) -> None:
    response = api.get("/api/v1/costs/breakdown?include.colour=red")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["include.colour"]


def test_line_items_walk_every_page_by_cursor(api: Client, bill: Any) -> None:
    params = urlencode({"start": "2025-02-01", "end": "2025-02-28", "include.charge_category": "Usage"})
    url: str | None = f"/api/v1/costs/line-items?{params}"
    seen: list[int] = []
    total = Decimal(0)
    while url:
        body = api.get(url).json()
        seen += [item["id"] for item in body["results"]]
        total += sum((Decimal(item["cost"]) for item in body["results"] if item["cost"] is not None), Decimal(0))
        url = body["next"]
        if url:
            assert url.startswith("http://umbrella.localhost/api/v1/costs/line-items?")
            assert body["next_cursor"] in url
    assert len(seen) == len(set(seen)) > 50  # more than one page
    enter(bill)
    query = cost_query_parse(
        {"start": ["2025-02-01"], "end": ["2025-02-28"], "include.charge_category": ["Usage"]}, today=END
    )
    assert len(seen) == sum(r["rows"] for r in cost_range_totals(start=query.start, end=query.end)) - _non_usage(query)
    first = cost_line_items(query=query)
    assert seen[:50] == [item.id for item in first.items]
    breakdown = cost_breakdown(query=query)
    assert total == sum((amount or Decimal(0) for amount in breakdown.totals.values()), Decimal(0))


def _non_usage(query: Any) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM costs_costlineitem WHERE charge_category <> 'Usage' "
            "AND (charge_period_start AT TIME ZONE 'UTC')::date BETWEEN %s AND %s",
            [query.start, query.end],
        )
        return int(cursor.fetchone()[0])


def test_a_broken_cursor_is_400(api: Client) -> None:
    response = api.get("/api/v1/costs/line-items?cursor=garbage")
    assert response.status_code == 400
    assert "cursor" in response.json()["error"]["fields"]


def test_run_now_queues_a_check_for_an_export_source_and_refuses_uploads(
    bill: Any, db: Any, django_capture_on_commit_callbacks: Any
) -> None:
    world = bill["world"]
    writer = api_key_create(organization=world.organization, name="w", scope=ApiKeyScope.READ_WRITE, created_by=None)
    client = Client(HTTP_HOST=world.host, HTTP_AUTHORIZATION=f"Bearer {writer.secret}")
    enter(bill)
    aws = CostSource.objects.create(name="AWS", kind="aws_s3", bucket="b", role_arn="arn:aws:iam::123456789012:role/x")
    use_public_schema()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(f"/api/v1/sources/{aws.pk}/run")
    assert response.status_code == 202
    assert response.json()["queued"] is True
    assert len(callbacks) == 1
    assert client.post(f"/api/v1/sources/{bill['eu'].pk}/run").status_code == 400
    read_only = Client(HTTP_HOST=world.host, HTTP_AUTHORIZATION=f"Bearer {bill['keys']['read'].secret}")
    assert read_only.post(f"/api/v1/sources/{aws.pk}/run").status_code == 403


def test_the_breakdown_csv_is_the_costs_pages_csv_for_the_same_question(api: Client, bill: Any) -> None:
    question = "start=2025-01-01&end=2025-02-28&granularity=month&group_by=service_name"
    response = api.get(f"/api/v1/costs/breakdown.csv?{question}")
    assert response.status_code == 200 and response["Content-Type"] == "text/csv"
    assert (
        response["Content-Disposition"]
        == 'attachment; filename="costs_20250101-20250228_by_service_name_billed_cost.csv"'
    )
    page = Client(HTTP_HOST=bill["world"].host)
    page.force_login(bill["world"].owner)
    assert response.content == page.get(f"/costs/export.csv?{question}").content
    lines = response.content.decode().split("\r\n")
    assert lines[0] == "Service,Currency,2025-01-01,2025-02-01,Total"
    assert lines.count("") == 1 and any(line.startswith("Total,EUR,") for line in lines)
    wrong = api.get("/api/v1/costs/breakdown.csv?group_by=nonsense")
    assert wrong.status_code == 400 and "group_by" in wrong.json()["error"]["fields"]
    intruder = Client(HTTP_HOST=bill["world"].host, HTTP_AUTHORIZATION=f"Bearer {bill['keys']['other'].secret}")
    assert intruder.get(f"/api/v1/costs/breakdown.csv?{question}").status_code == 401
    stranger = Client(HTTP_HOST=bill["world"].host)
    stranger.force_login(bill["other"].owner)
    assert stranger.get(f"/api/v1/costs/breakdown.csv?{question}").status_code == 404


def test_the_breakdown_csv_defuses_a_formula_in_a_group_value(org_a: Any, tmp_path: Any) -> None:
    bill_file = tmp_path / "formula.csv"
    bill_file.write_text(
        "BillingAccountId,BillingCurrency,BillingPeriodStart,ChargePeriodStart,ChargeCategory,ServiceName,BilledCost,EffectiveCost\n"
        '999900001111,USD,2025-02-01T00:00:00Z,2025-02-03T00:00:00Z,Usage,"=HYPERLINK(""http://x"")",-4.50,-4.50\n'
    )
    connection.set_tenant(org_a.organization)  # type: ignore[attr-defined]
    delivery_ingest(source=CostSource.objects.uploads(), files=[as_file(bill_file)])
    use_public_schema()
    secret = api_key_create(organization=org_a.organization, name="r", scope=ApiKeyScope.READ, created_by=None).secret
    api = Client(HTTP_HOST=org_a.host, HTTP_AUTHORIZATION=f"Bearer {secret}")
    body = api.get("/api/v1/costs/breakdown.csv?start=2025-02-01&end=2025-02-28&granularity=month").content.decode()
    rows = body.split("\r\n")
    # The group value is text a spreadsheet shows; the negative amount stays a number.
    assert rows[1] == '"\'=HYPERLINK(""http://x"")",USD,-4.500000000000,-4.500000000000'
