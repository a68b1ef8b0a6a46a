"""The CloudFormation template customers deploy in their payer account: one read-only role.

The role trusts only our AWS account, and only with the organization's ExternalId (the
confused-deputy guard); it lives under CUSTOMER_ROLE_PATH because our task role may assume
nothing else. Permissions are the least we need: read the export prefix, list the bucket
within that prefix, Cost Explorer reads, export definitions, account names.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from django.conf import settings

TEMPLATE_FILENAME = "finops-readonly-role.json"
QUICK_CREATE_URL = "https://console.aws.amazon.com/cloudformation/home#/stacks/quickcreate"
DEFAULT_ROLE_NAME = "FinOpsReadOnly"
DEFAULT_STACK_NAME = "finops-readonly-role"

READ_ONLY_API_ACTIONS = [
    "ce:GetCostAndUsage",
    "ce:GetDimensionValues",
    "ce:GetCostForecast",
    "cur:DescribeReportDefinitions",
    "bcm-data-exports:ListExports",
    "bcm-data-exports:GetExport",
    "organizations:ListAccounts",
    # Savings checks the bill cannot make: CPU/connections of instances, whether a volume is attached.
    "cloudwatch:GetMetricData",
    "ec2:DescribeVolumes",
]


def normalize_prefix(prefix: str) -> str:
    """'cur', '/cur/', 'cur/' -> 'cur' (keys are '<prefix>/<export>/…'); '' stays ''."""
    return prefix.strip().strip("/")


def role_template(*, external_id: str = "", bucket: str = "", prefix: str = "") -> dict[str, Any]:
    """The template as a dict; the arguments only become parameter defaults."""
    parameters: dict[str, Any] = {
        "ExternalId": {
            "Type": "String",
            "Description": "Your FinOps organization's ExternalId (shown on the Accounts page). Do not change it.",
            "MinLength": 2,
            "MaxLength": 1224,
            "AllowedPattern": r"[\w+=,.@:/-]+",
        },
        "BucketName": {
            "Type": "String",
            "Description": "S3 bucket that receives your CUR / Data Exports.",
            "MinLength": 3,
            "MaxLength": 63,
            "AllowedPattern": r"[a-z0-9][a-z0-9.-]*[a-z0-9]",
        },
        "ExportPrefix": {
            "Type": "String",
            "Description": "S3 prefix of the exports, without leading or trailing slash (empty for the bucket root).",
            "Default": "",
            "AllowedPattern": r"[^*?]*",
        },
        "RoleName": {
            "Type": "String",
            "Description": "Name of the read-only role to create.",
            "Default": DEFAULT_ROLE_NAME,
            "AllowedPattern": r"[\w+=,.@-]{1,64}",
        },
    }
    if external_id:
        parameters["ExternalId"]["Default"] = external_id
    if bucket:
        parameters["BucketName"]["Default"] = bucket
    if prefix:
        parameters["ExportPrefix"]["Default"] = normalize_prefix(prefix)

    # With a prefix, objects are '<prefix>/…'; at the bucket root they are '…'.
    object_pattern = {"Fn::If": ["HasPrefix", {"Fn::Sub": "${ExportPrefix}/*"}, "*"]}
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                # Which region the bucket is in, so we sign for it instead of being redirected.
                "Sid": "FindBucketRegion",
                "Effect": "Allow",
                "Action": "s3:GetBucketLocation",
                "Resource": {"Fn::Sub": "arn:${AWS::Partition}:s3:::${BucketName}"},
            },
            {
                "Sid": "ListExportPrefix",
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": {"Fn::Sub": "arn:${AWS::Partition}:s3:::${BucketName}"},
                "Condition": {"StringLike": {"s3:prefix": [object_pattern, {"Ref": "ExportPrefix"}]}},
            },
            {
                "Sid": "ReadExportFiles",
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": {
                    "Fn::Join": ["", [{"Fn::Sub": "arn:${AWS::Partition}:s3:::${BucketName}/"}, object_pattern]]
                },
            },
            {
                "Sid": "ReadCostApis",
                "Effect": "Allow",
                # These actions have no resource-level permissions; "*" is the only valid resource.
                "Action": READ_ONLY_API_ACTIONS,
                "Resource": "*",
            },
        ],
    }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "Read-only role for FinOps: reads cost exports and Cost Explorer. Creates no access keys.",
        "Parameters": parameters,
        "Conditions": {"HasPrefix": {"Fn::Not": [{"Fn::Equals": [{"Ref": "ExportPrefix"}, ""]}]}},
        "Resources": {
            "FinOpsReadOnlyRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "RoleName": {"Ref": "RoleName"},
                    "Path": settings.CUSTOMER_ROLE_PATH,
                    "Description": "FinOps reads cost exports and Cost Explorer through this role.",
                    "MaxSessionDuration": 3600,
                    "AssumeRolePolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {
                                    "AWS": {
                                        "Fn::Sub": f"arn:${{AWS::Partition}}:iam::{settings.FINOPS_AWS_ACCOUNT_ID}:root"
                                    }
                                },
                                "Action": "sts:AssumeRole",
                                "Condition": {"StringEquals": {"sts:ExternalId": {"Ref": "ExternalId"}}},
                            }
                        ],
                    },
                    "Policies": [{"PolicyName": "FinOpsReadOnly", "PolicyDocument": policy}],
                },
            }
        },
        "Outputs": {
            "RoleArn": {
                "Description": "Paste this into FinOps (Accounts → Add AWS account).",
                "Value": {"Fn::GetAtt": ["FinOpsReadOnlyRole", "Arn"]},
            }
        },
    }


def role_template_json(*, external_id: str = "", bucket: str = "", prefix: str = "") -> str:
    return json.dumps(role_template(external_id=external_id, bucket=bucket, prefix=prefix), indent=2)


def quick_create_url(*, template_url: str, external_id: str, bucket: str = "", prefix: str = "") -> str:
    """The console link that opens the stack form pre-filled; the console downloads `template_url` itself."""
    params = {"templateURL": template_url, "stackName": DEFAULT_STACK_NAME, "param_ExternalId": external_id}
    if bucket:
        params["param_BucketName"] = bucket
    if prefix:
        params["param_ExportPrefix"] = normalize_prefix(prefix)
    return f"{QUICK_CREATE_URL}?{urlencode(params)}"
