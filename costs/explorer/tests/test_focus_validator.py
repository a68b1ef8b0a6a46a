"""The FinOps Foundation's focus-validator (FOCUS 1.2 rules) on our FOCUS exports, CSV and Parquet, of the
shared FOCUS sample and of a generated CUR 2.0 month: no rule fails but the ones listed below, each with
the reason our data cannot satisfy it.

focus-validator needs Python >= 3.12 and numpy < 2, so it lives in .venv-focus (`make focus-validator`,
which `make test` runs when a Python >= 3.12 is on the machine) and is run as a subprocess that is
handed only the exported file. It runs offline (`--block-download`: the rules ship in the package).
"""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from costs.explorer.models import ExportStatus
from costs.explorer.tests.focus_export_support import (
    CUR2_START,
    FOCUS_SAMPLE,
    SAMPLE_PERIOD,
    cur2_period,
    export_eagerly,
    exported_copy,
    ingest,
)
from finops.testing_env import subprocess_env

pytestmark = pytest.mark.django_db

FOCUS_VENV = Path(settings.BASE_DIR) / ".venv-focus"
VALIDATOR = FOCUS_VENV / "bin" / "focus-validator"
# What AWS (the provider of the bills we ingest) supports, so the rules that depend on it are checked
# too (the validator skips them otherwise). Left out: multiple billing/sub account types, pricing in a
# currency other than the billing one, virtual currencies (AWS has none of these).
APPLICABILITY = (
    "ACCOUNT_NAMING_SUPPORTED,AVAILABILITY_ZONE_SUPPORTED,BILLING_BASED_ON_PROVISIONED_RESOURCES_SUPPORTED,"
    "CAPACITY_RESERVATION_SUPPORTED,COMMITMENT_DISCOUNT_SUPPORTED,MULTIPLE_PRICING_CATEGORIES_SUPPORTED,"
    "NEGOTIATED_PRICING_SUPPORTED,PUBLIC_PRICE_LIST_SUPPORTED,REGION_SUPPORTED,RESOURCE_TYPE_ASSIGNMENT_SUPPORTED,"
    "SUB_ACCOUNT_SUPPORTED,TAGGING_SUPPORTED,UNIT_PRICING_SUPPORTED,USAGE_MEASUREMENT_SUPPORTED"
)

# Rules that fail on every export, and why our data cannot satisfy them.
ALWAYS: dict[str, str] = {
    # The validator's own rule is inverted: its condition is "CommitmentDiscountId IS NULL", so it demands a
    # status on every line without a commitment, which CommitmentDiscountStatus-C-003-C (passing) forbids.
    "CommitmentDiscountStatus-C-004-C": "validator bug (condition inverted, contradicts C-003)",
    # Fails on every line although CapacityReservationId is null on all of them (its condition requires
    # it not null): the validator does not apply the condition.
    "CapacityReservationStatus-C-004-C": "validator bug (condition not applied)",
    # "BilledCost MUST be 0 where payments go to a third party", checked as ProviderName != InvoiceIssuerName:
    # AWS bills name the provider "AWS" and the invoice issuer by its legal entity ("Amazon Web Services,
    # Inc."), the same company; zeroing BilledCost would falsify the bill.
    "BilledCost-C-005-C": "provider's brand vs its legal entity name; not a third-party charge",
    # Neither CUR nor the FOCUS 1.0 sample carries these, and ingestion does not store InvoiceId
    # (CUR's bill_invoice_id could be: see the report); we write null rather than invent values.
    "InvoiceId-C-005-C": "invoice id not stored by ingestion",
    "ServiceSubcategory-C-002-M": "not in CUR 2.0 or FOCUS 1.0 bills",
    "ServiceName-C-008-C": "follows from ServiceSubcategory being null",
    "SkuMeter-C-005-C": "not in CUR 2.0 or FOCUS 1.0 bills",
    # PricingCurrency* are only for providers that price in another currency than they bill (not AWS),
    # yet the column, when present, must not be null; we do not know the pricing-currency amounts.
    "PricingCurrencyEffectiveCost-C-003-M": "pricing-currency amounts not in the bill",
    # Units are kept as the provider bills them ("GB-Mo", "Hrs"); FOCUS's Unit Format is a SHOULD.
    "PricingUnit-C-003-O": "provider's own units kept (SHOULD rule)",
    "ConsumedUnit-C-003-O": "provider's own units kept (SHOULD rule)",
}
# The FOCUS 1.0 sample (an anonymized real bill, not fully compliant): what its rows lack or say.
SAMPLE: dict[str, str] = {
    "BillingAccountName-C-003-C": "6 sample rows have no billing account name",
    "ContractedCost-C-003-M": "6 sample rows have no ContractedCost: null (not in this export), never 0",
    "ContractedCost-C-004-M": "the same null ContractedCost, checked as 'a valid decimal'",
    "ContractedUnitPrice-C-009-C": "one sample row has a negative contracted unit price",
    "ResourceType-C-005-C": "the sample's AWS rows have resource ids without a resource type",
    "RegionName-C-005-C": "sample rows with a RegionId no row of the period names",
    "ServiceName-C-005-C": "the sample gives one service name two service categories",
}
# A CUR 2.0 month: what CUR does not carry, or carries where FOCUS puts it elsewhere.
CUR2: dict[str, str] = {
    # CUR has no public on-demand cost for tax, credits and fees: null (not in this export), never 0.
    "ListCost-C-003-M": "CUR has no list cost on tax, credit and fee lines",
    "ListCost-C-004-M": "the same null ListCost, checked as 'a valid decimal'",
    # Checked on every Purchase (the validator cannot tell which cover future charges): a one-time fee
    # covers none, and CUR puts the unused part of an RI / Savings Plan commitment on its recurring fee's
    # amortized cost, where FOCUS would add an "Unused" usage line (which would change the lines and totals).
    "EffectiveCost-C-005-C": "CUR amortization: unused commitment on the fee line; one-time fees",
}
# CSV has no types: the validator infers them and reads all-digit account ids and SKU price ids as
# integers (the Parquet export of the same data, typed as strings, passes these).
CSV_TYPES: dict[str, str] = {
    "BillingAccountId-C-002-M": "CSV type inference by the validator",
    "SubAccountId-C-001-M": "CSV type inference by the validator",
    "SkuPriceId-C-001-M": "CSV type inference by the validator",
}


def python_312_available() -> bool:
    candidates = ["python3.12", "python3.13", *map(str, Path.home().glob(".pyenv/versions/3.1[2-9]*/bin/python3"))]
    for candidate in candidates:
        try:
            check = subprocess.run(
                [candidate, "-c", "import sys; sys.exit(sys.version_info < (3, 12))"], capture_output=True, timeout=30
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        if check.returncode == 0:
            return True
    return False


@pytest.fixture(scope="module")
def validator() -> Path:
    if not (FOCUS_VENV / ".installed").exists():
        if not python_312_available():
            pytest.skip("focus-validator needs Python >= 3.12 and none is installed (set FOCUS_PYTHON for make)")
        pytest.fail("focus-validator is not built: run `make focus-validator` (make test does)")
    return VALIDATOR


def failed_rules(validator: Path, data: Path, workdir: Path) -> tuple[set[str], int]:
    """Run focus-validator on one file; the rules that failed (composites aside) and how many passed."""
    package = subprocess.run(
        [str(FOCUS_VENV / "bin" / "python"), "-c", "import focus_validator, os; print(os.path.dirname(focus_validator.__file__))"],
        capture_output=True, text=True, check=True, timeout=120,
    ).stdout.strip()  # fmt: skip
    # It reads its currency list from ./focus_validator/rules/ (relative to the working directory).
    (workdir / "focus_validator").symlink_to(package)
    report = workdir / "report.xml"
    run = subprocess.run(
        [str(validator), "--data-file", str(data), "--validate-version", "1.2", "--block-download",
         "--applicability-criteria", APPLICABILITY, "--output-type", "unittest", "--output-destination", str(report)],
        cwd=workdir, env=subprocess_env(), capture_output=True, text=True, timeout=1200,
    )  # fmt: skip
    assert report.exists(), f"focus-validator wrote no report (exit {run.returncode}): {run.stderr[-3000:]}"
    failed: set[str] = set()
    passed = 0
    for case in ET.parse(report).getroot().iter("testcase"):
        name = case.get("name", "")
        rule, _, kind = name.partition(" :: ")
        if case.find("failure") is not None or case.find("error") is not None:
            if kind != "Composite":  # a composite fails when one of its rules does; those are listed
                failed.add(rule)
        elif case.find("skipped") is None:
            passed += 1
    return failed, passed


@pytest.fixture(scope="module")
def cur2_file(tmp_path_factory: Any) -> Path:
    return cur2_period(tmp_path_factory.mktemp("cur2"))


@pytest.mark.parametrize("format", ["csv", "parquet"])
@pytest.mark.parametrize("dataset", ["focus_sample", "cur2"])
def test_focus_validator_fails_no_rule_our_data_could_satisfy(
    validator: Path, org_a: Any, settings: Any, tmp_path: Path, cur2_file: Path, dataset: str, format: str
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    if dataset == "focus_sample":
        ingest(org_a, FOCUS_SAMPLE)
        export = export_eagerly(org_a, period=SAMPLE_PERIOD, format=format)
        allowed = ALWAYS | SAMPLE
    else:
        ingest(org_a, cur2_file)
        export = export_eagerly(org_a, period=CUR2_START, format=format)
        allowed = ALWAYS | CUR2
    if format == "csv":
        allowed |= CSV_TYPES
    assert export.status == ExportStatus.SUCCEEDED, export.error
    workdir = tmp_path / "validator"
    workdir.mkdir()
    data = exported_copy(org_a, export, workdir)

    failed, passed = failed_rules(validator, data, workdir)

    assert passed > 200, f"focus-validator checked almost nothing ({passed} rules passed)"
    unexpected = sorted(failed - set(allowed))
    assert not unexpected, f"FOCUS rules failed that our data could satisfy: {unexpected}"
