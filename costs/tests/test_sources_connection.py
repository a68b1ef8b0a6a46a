"""Test connection against a local moto server over HTTP: STS AssumeRole with our ExternalId, S3 listing.

moto enforces role trust policies (principal by exact ARN, `sts:ExternalId` StringEquals) and
permission policies only when its IAM evaluation is switched on; those tests switch it on
and act as a platform IAM user that may assume roles under /finops-readonly/.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from costs.cloudformation import role_template
from costs.models import CostSource
from costs.services.sources import SourceError, source_create, source_test_connection
from costs.tests.conftest import CUSTOMER_ACCOUNT, ROLE_ARN, legacy_delivery_put

BUCKET = "acme-billing"


def make_source(**overrides: Any) -> CostSource:
    values = {
        "name": "Payer",
        "role_arn": ROLE_ARN,
        "bucket": BUCKET,
        "prefix": "cur",
        "export_name": "daily",
        "format": "auto",
    }
    values.update(overrides)
    return source_create(**values)


def put_delivery(s3: Any, **overrides: Any) -> str:
    """A one-file legacy delivery under cur/daily/ for November 2023 (any argument can be overridden)."""
    delivery = {
        "bucket": BUCKET,
        "root": "cur/",
        "name": "daily",
        "period": "20231101-20231201",
        "files": {"daily-1.csv.gz": b"x"},
        "assembly_id": "asm-1",
    }
    return legacy_delivery_put(s3, **{**delivery, **overrides})


@pytest.fixture
def acme(org_a: Any) -> Any:
    with tenant_context(org_a.organization):
        yield org_a


def test_connection_succeeds_and_is_stored_on_the_source(aws: Any, acme: Any) -> None:
    s3 = aws.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    put_delivery(s3)
    source = make_source()

    outcome = source_test_connection(source=source)

    assert outcome.ok, outcome.message
    assert "Connected to s3://acme-billing/cur/daily/" in outcome.message
    assert "1 new delivery" in outcome.message
    source.refresh_from_db()
    assert source.last_check_ok is True
    assert source.last_checked_at is not None
    assert source.last_check_message == outcome.message
    assert source.payer_account_id == CUSTOMER_ACCOUNT


def test_missing_bucket_is_named(aws: Any, acme: Any) -> None:
    outcome = source_test_connection(source=make_source(bucket="no-such-bucket"))
    assert not outcome.ok
    assert "Bucket no-such-bucket does not exist" in outcome.message


def test_empty_export_prefix_says_no_reports_yet(aws: Any, acme: Any) -> None:
    aws.client("s3").create_bucket(Bucket=BUCKET)
    outcome = source_test_connection(source=make_source())
    assert not outcome.ok
    assert "no reports under s3://acme-billing/cur/daily/ yet" in outcome.message


def test_half_written_delivery_is_reported_not_failed(aws: Any, acme: Any) -> None:
    s3 = aws.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    put_delivery(s3, skip_files=("daily-1.csv.gz",))
    outcome = source_test_connection(source=make_source())
    assert outcome.ok
    assert "still being written, skipped for now: 2023-11 (1 file not yet written)" in outcome.message


def test_role_outside_our_path_is_refused_before_calling_aws(acme: Any) -> None:
    with pytest.raises(SourceError, match="IAM path /finops-readonly/"):
        make_source(role_arn=f"arn:aws:iam::{CUSTOMER_ACCOUNT}:role/Admin")
    with pytest.raises(SourceError, match="Role ARN must look like"):
        make_source(role_arn="finops-readonly/FinOpsReadOnly")


# --- with moto's IAM evaluation switched on -------------------------------------------------


def resolve(node: Any, params: dict[str, str]) -> Any:
    """Enough of CloudFormation's intrinsic functions to turn our template's policies into JSON."""
    if isinstance(node, list):
        return [resolve(n, params) for n in node]
    if not isinstance(node, dict):
        return node
    if "Ref" in node:
        return params[node["Ref"]]
    if "Fn::Sub" in node:
        text = node["Fn::Sub"]
        for key, value in {**params, "AWS::Partition": "aws"}.items():
            text = text.replace("${" + key + "}", value)
        return text
    if "Fn::If" in node:
        _, yes, no = node["Fn::If"]
        return resolve(yes if params["ExportPrefix"] else no, params)
    if "Fn::Join" in node:
        sep, parts = node["Fn::Join"]
        return sep.join(resolve(p, params) for p in parts)
    return {k: resolve(v, params) for k, v in node.items()}


@pytest.fixture
def iam_world(aws: Any, acme: Any, monkeypatch: Any, settings: Any) -> Any:
    """The customer's role made from our template; our platform identity as an IAM user."""
    iam = aws.client("iam")
    s3 = aws.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    put_delivery(s3)
    s3.put_object(Bucket=BUCKET, Key="other/secret.csv", Body=b"not yours")

    user = iam.create_user(UserName="finops-platform")["User"]
    iam.put_user_policy(
        UserName="finops-platform",
        PolicyName="assume-customer-roles",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::*:role/finops-readonly/*"}
                ],
            }
        ),
    )
    keys = iam.create_access_key(UserName="finops-platform")["AccessKey"]

    template = role_template(external_id=acme.organization.external_id, bucket=BUCKET, prefix="cur")
    role = template["Resources"]["FinOpsReadOnlyRole"]["Properties"]
    params = {"ExternalId": acme.organization.external_id, "BucketName": BUCKET, "ExportPrefix": "cur"}
    trust = resolve(role["AssumeRolePolicyDocument"], params)
    # moto compares trust principals by exact ARN and does not expand "<account>:root" to the
    # account's identities, so the one substitution: our account root -> our platform user.
    assert trust["Statement"][0]["Principal"]["AWS"] == f"arn:aws:iam::{settings.FINOPS_AWS_ACCOUNT_ID}:root"
    trust["Statement"][0]["Principal"]["AWS"] = user["Arn"]
    iam.create_role(RoleName="FinOpsReadOnly", Path="/finops-readonly/", AssumeRolePolicyDocument=json.dumps(trust))
    policy = resolve(role["Policies"][0]["PolicyDocument"], params)
    iam.put_role_policy(RoleName="FinOpsReadOnly", PolicyName="FinOpsReadOnly", PolicyDocument=json.dumps(policy))

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", keys["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", keys["SecretAccessKey"])
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    aws.enforce_iam(True)
    return iam


def test_role_from_our_template_is_assumable_with_our_external_id(iam_world: Any) -> None:
    outcome = source_test_connection(source=make_source())
    assert outcome.ok, outcome.message


def test_wrong_external_id_is_refused_by_the_trust_policy(iam_world: Any) -> None:
    source = make_source()
    # As if the role had been made for another organization: our ExternalId no longer matches.
    connection.tenant.external_id = "finops-someone-else"  # type: ignore[attr-defined]
    outcome = source_test_connection(source=source)
    assert not outcome.ok
    assert "AccessDenied" in outcome.message
    assert "different ExternalId" in outcome.message


def test_bucket_outside_the_role_policy_cannot_be_listed(iam_world: Any, aws: Any) -> None:
    aws.enforce_iam(False)
    aws.client("s3").create_bucket(Bucket="someone-elses-bucket")
    aws.enforce_iam(True)
    outcome = source_test_connection(source=make_source(bucket="someone-elses-bucket"))
    assert not outcome.ok
    assert "The role may not list s3://someone-elses-bucket/cur/daily/ (s3:ListBucket denied)" in outcome.message


def test_prefix_outside_the_role_policy_cannot_be_read(iam_world: Any, aws: Any) -> None:
    # moto ignores the policy's s3:prefix condition on ListBucket (real S3 would refuse the
    # listing already); it does enforce the GetObject resource, which is what this checks.
    aws.enforce_iam(False)
    put_delivery(aws.client("s3"), root="other/", assembly_id="asm-9")
    aws.enforce_iam(True)
    outcome = source_test_connection(source=make_source(prefix="other"))
    assert not outcome.ok
    assert "may not read the manifests (s3:GetObject denied)" in outcome.message, outcome.message
