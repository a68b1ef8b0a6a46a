"""End to end on the S3 path with Red Hat's CUR generator: nise writes two months of legacy CUR into a
bucket on a local moto server (over HTTP, as AWS would deliver it), the export is linked through the
form as a customer links it, checked, then nise restates the first month.

nise (PyPI koku-nise, pinned in requirements-nise.txt) lives in its own virtualenv, .venv-nise,
made by `make install`: it pulls the Azure and Google Cloud SDKs. It is run as a command line.
The volume is kept small with a static generator file (four generators, two accounts, about
5,700 hourly rows for January and February 2024; nise's random mode writes ~450k rows for two
months, too slow for the suite). Expected totals are summed here from the files in the bucket.
nise writes "None" in the savingsPlan columns of its EBS rows (a null token since the ingest
hardening) and floats' noise past 12 decimals (rounded per line as the database stores it).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import subprocess
from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db.models import Sum
from django_tenants.utils import tenant_context

from costs.models import CostLineItem, CostSource, DailyCostRollup, IngestionJob, JobStatus, SourceKind
from costs.services.checks import source_check_run
from costs.tests.conftest import ROLE_ARN
from finops.testing_env import subprocess_env

NISE = Path(os.environ.get("FINOPS_NISE") or Path(settings.BASE_DIR) / ".venv-nise" / "bin" / "nise")
BUCKET = "initech-cur"
PAYER = "111122223333"
STATIC = """---
generators:
  - EC2Generator:
      start_date: {start}
      end_date: {end}
      processor_arch: 64-bit
      resource_id: 55555555
      product_sku: VEAJHRNKTJZQ
      region: us-east-1a
      tags:
        resourceTags/user:environment: prod
      instance_type:
        inst_type: m5.large
        vcpu: 2
        memory: '8 GiB'
        storage: 'EBS Only'
        family: 'General Purpose'
        cost: {ec2_rate}
        rate: {ec2_rate}
  - S3Generator:
      start_date: {start}
      end_date: {end}
      product_sku: VEAJHRNAAAAA
      amount: 10
      rate: 0.0235
  - EBSGenerator:
      start_date: {start}
      end_date: {end}
      product_sku: VEAJHRNBBBBB
      amount: 10
      rate: 0.1
      resource_id: 12345
  - DataTransferGenerator:
      start_date: {start}
      end_date: {end}
      product_sku: VEAJHRNCCCCC
      amount: 10
      rate: 0.09
accounts:
  payer: {payer}
  user:
    - {payer}
    - 444455556666
  currency_code: USD
"""


def nise_deliver(aws_url: str, workdir: Path, *, start: str, end: str, ec2_rate: str) -> None:
    """Run nise as AWS would deliver: manifest and gzipped CSV per month into BUCKET under cur/daily/."""
    if not NISE.exists():
        pytest.fail(f"{NISE} is missing: `make install` creates .venv-nise with nise (requirements-nise.txt)")
    workdir.mkdir(parents=True, exist_ok=True)
    static = workdir / "static.yml"
    static.write_text(STATIC.format(start=start, end=end, ec2_rate=ec2_rate, payer=PAYER))
    env = subprocess_env(
        AWS_ENDPOINT_URL=aws_url, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1", HOME=str(workdir),
    )  # fmt: skip
    env.pop("AWS_SESSION_TOKEN", None)
    command = [str(NISE), "report", "aws", "--static-report-file", str(static), "--aws-s3-bucket-name", BUCKET,
               "--aws-s3-report-name", "daily", "--aws-s3-report-prefix", "cur"]  # fmt: skip
    done = subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]


CENT = Decimal("0.01")
STORED = Decimal("1e-12")  # NUMERIC(28, 12): each line is kept to 12 decimals, rounded half up


def bucket_totals(s3: Any, *, per_line: Decimal | None = None) -> dict[date, Decimal]:
    """Each period's lineItem/UnblendedCost summed from the files its current manifest lists (Decimal).

    nise writes floats' noise (0.0959999999999999964): with `per_line`, each amount is first
    rounded as the database stores it, which must then match exactly.
    """
    totals: dict[date, Decimal] = defaultdict(Decimal)
    for item in s3.list_objects_v2(Bucket=BUCKET, Prefix="cur/daily/")["Contents"]:
        parts = item["Key"].split("/")
        if len(parts) != 4 or not parts[3].endswith("-Manifest.json"):
            continue  # the copies under each assembly id are not the period's current manifest
        manifest = json.loads(s3.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read())
        period = date(int(parts[2][:4]), int(parts[2][4:6]), 1)
        for key in manifest["reportKeys"]:
            text = gzip.decompress(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()).decode()
            for row in csv.DictReader(io.StringIO(text)):
                amount = Decimal(row["lineItem/UnblendedCost"])
                totals[period] += amount.quantize(per_line, ROUND_HALF_UP) if per_line else amount
    return dict(totals)


def cents(totals: dict[date, Decimal]) -> dict[date, Decimal]:
    return {period: total.quantize(CENT, ROUND_HALF_UP) for period, total in totals.items()}


def ingested_totals(source: CostSource) -> dict[date, Decimal]:
    rows = DailyCostRollup.objects.filter(source=source, is_estimate=False).values("billing_period")
    return {r["billing_period"]: r["total"] for r in rows.annotate(total=Sum("unblended_cost"))}


def test_nise_delivers_two_months_into_s3_and_totals_hold_to_the_cent_after_a_restatement(
    aws: Any, org_a: Any, client_for: Any, tmp_path: Path
) -> None:
    s3 = aws.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    nise_deliver(aws.url, tmp_path / "first", start="2024-01-01", end="2024-02-29", ec2_rate="0.096")
    delivered = bucket_totals(s3)
    assert set(delivered) == {date(2024, 1, 1), date(2024, 2, 1)}

    # Linked as a customer links it: the form, with the s3:// URI pasted into the prefix field.
    admin = client_for(org_a.admin, org_a)
    form = {"name": "Initech payer", "role_arn": ROLE_ARN, "bucket": BUCKET, "export_prefix": f"s3://{BUCKET}/cur/",
            "export_name": "daily", "format": "auto"}  # fmt: skip
    assert admin.post("/cloud-accounts/add/", form).status_code == 302
    twice = admin.post("/cloud-accounts/add/", {**form, "name": "Initech again", "export_prefix": "cur"})
    assert "is already linked as “Initech payer”" in twice.content.decode()

    with tenant_context(org_a.organization):
        source = CostSource.objects.get(kind=SourceKind.AWS_S3)
        assert (source.prefix, source.region) == ("cur", "")
        first = source_check_run(source=source)
        assert first.ok, first.message
        assert "2 new deliveries" in first.message
        assert ingested_totals(source) == bucket_totals(s3, per_line=STORED)
        assert cents(ingested_totals(source)) == cents(delivered)
        assert source.region == "us-east-1"
        rows_before = CostLineItem.objects.filter(source=source).count()

        # A re-check finds nothing new and ingests nothing twice.
        again = source_check_run(source=source)
        assert "0 new deliveries; 2 already ingested" in again.message
        assert CostLineItem.objects.filter(source=source).count() == rows_before

        # nise restates January (new assembly id, a higher EC2 rate): the period is replaced, February stays.
        nise_deliver(aws.url, tmp_path / "restated", start="2024-01-01", end="2024-01-31", ec2_rate="0.107")
        restated = bucket_totals(s3)
        assert restated[date(2024, 1, 1)] != delivered[date(2024, 1, 1)]
        assert restated[date(2024, 2, 1)] == delivered[date(2024, 2, 1)]
        third = source_check_run(source=source)
        assert "1 new delivery; 1 already ingested" in third.message, third.message
        assert ingested_totals(source) == bucket_totals(s3, per_line=STORED)
        assert cents(ingested_totals(source)) == cents(restated)
        assert IngestionJob.objects.filter(source=source, status=JobStatus.SUCCEEDED).count() == 3
        payers = set(CostLineItem.objects.filter(source=source).values_list("billing_account_id", flat=True))
    assert payers == {PAYER}
