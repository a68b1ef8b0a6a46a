"""The read-only role template: valid CloudFormation (cfn-lint), trusted by us only with the ExternalId, least privilege."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from cfnlint.api import lint_all
from django.test import RequestFactory

from costs.cloudformation import READ_ONLY_API_ACTIONS, quick_create_url, role_template, role_template_json
from costs.views import cloudformation_template_public


@pytest.fixture
def template() -> dict[str, Any]:
    return role_template(external_id="finops-abc", bucket="acme-billing", prefix="/cur/")


def role(template: dict[str, Any]) -> dict[str, Any]:
    (resource,) = template["Resources"].values()
    assert resource["Type"] == "AWS::IAM::Role"
    return resource["Properties"]


def test_cfn_lint_finds_no_errors_or_warnings() -> None:
    for body in (
        role_template_json(external_id="finops-abc", bucket="acme-billing", prefix="cur"),
        role_template_json(),
    ):
        problems = [m for m in lint_all(body) if m.rule.id[0] in "EW"]
        assert problems == []


def test_only_our_account_may_assume_it_and_only_with_the_external_id(template: Any, settings: Any) -> None:
    (statement,) = role(template)["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Principal"] == {
        "AWS": {"Fn::Sub": f"arn:${{AWS::Partition}}:iam::{settings.FINOPS_AWS_ACCOUNT_ID}:root"}
    }
    assert statement["Condition"] == {"StringEquals": {"sts:ExternalId": {"Ref": "ExternalId"}}}
    assert template["Parameters"]["ExternalId"]["Default"] == "finops-abc"


def test_the_role_lives_under_the_path_our_task_role_may_assume(template: Any, settings: Any) -> None:
    assert role(template)["Path"] == settings.CUSTOMER_ROLE_PATH == "/finops-readonly/"


def test_permissions_are_read_only_and_scoped_to_the_export(template: Any) -> None:
    (policy,) = role(template)["Policies"]
    statements = policy["PolicyDocument"]["Statement"]
    assert all(s["Effect"] == "Allow" for s in statements)
    by_sid = {s["Sid"]: s for s in statements}
    listing = by_sid["ListExportPrefix"]
    assert listing["Action"] == "s3:ListBucket"
    assert listing["Resource"] == {"Fn::Sub": "arn:${AWS::Partition}:s3:::${BucketName}"}
    assert "s3:prefix" in listing["Condition"]["StringLike"]
    reading = by_sid["ReadExportFiles"]
    assert reading["Action"] == "s3:GetObject"
    assert "${BucketName}/" in json.dumps(reading["Resource"])
    apis = by_sid["ReadCostApis"]
    assert (
        sorted(apis["Action"])
        == sorted(READ_ONLY_API_ACTIONS)
        == sorted(
            [
                "ce:GetCostAndUsage",
                "ce:GetDimensionValues",
                "ce:GetCostForecast",
                "cur:DescribeReportDefinitions",
                "bcm-data-exports:ListExports",
                "bcm-data-exports:GetExport",
                "organizations:ListAccounts",
                "cloudwatch:GetMetricData",
                "ec2:DescribeVolumes",
            ]
        )
    )
    every_action = [a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])]
    assert not [a for a in every_action if "*" in a]
    assert not [a for a in every_action if a.split(":")[1].startswith(("Put", "Delete", "Create", "Update"))]
    assert template["Parameters"]["ExportPrefix"]["Default"] == "cur"


def test_no_access_keys_or_users_are_created(template: Any) -> None:
    types = {r["Type"] for r in template["Resources"].values()}
    assert types == {"AWS::IAM::Role"}
    assert template["Outputs"]["RoleArn"]["Value"] == {"Fn::GetAtt": ["FinOpsReadOnlyRole", "Arn"]}


def test_quick_create_link_prefills_the_stack() -> None:
    url = quick_create_url(
        template_url="https://finops.example.com/aws/finops-readonly-role.json",
        external_id="finops-abc",
        bucket="acme-billing",
        prefix="cur/",
    )
    assert url.startswith("https://console.aws.amazon.com/cloudformation/home#/stacks/quickcreate?")
    query = parse_qs(urlsplit(url).fragment.split("?", 1)[1])
    assert query["templateURL"] == ["https://finops.example.com/aws/finops-readonly-role.json"]
    assert query["param_ExternalId"] == ["finops-abc"]
    assert query["param_BucketName"] == ["acme-billing"]
    assert query["param_ExportPrefix"] == ["cur"]
    assert query["stackName"] == ["finops-readonly-role"]


def test_the_public_template_holds_no_organization_data(org_a: Any) -> None:
    response = cloudformation_template_public(RequestFactory().get("/aws/finops-readonly-role.json"))
    body = response.content.decode()
    assert "Default" not in json.loads(body)["Parameters"]["ExternalId"]
    assert org_a.organization.external_id not in body
