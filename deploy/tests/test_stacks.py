"""Properties of the synthesized CloudFormation that must hold in every environment: the app, network, edge, data."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Template

from .templates import (
    ALL_STACKS,
    APP_STACKS,
    STAR_RESOURCE_ALLOWED,
    as_list,
    iam_statements,
    one,
    resources,
)

pytestmark = pytest.mark.xdist_group("cdk-synth")


# --- whole app ----------------------------------------------------------------------------


def test_every_stack_synthesizes(templates: dict[str, Any]) -> None:
    assert sorted(templates) == sorted(ALL_STACKS)


def test_synthesis_needs_no_aws_lookup(assembly: Any) -> None:
    manifest = json.loads((_outdir(assembly) / "manifest.json").read_text())
    assert not manifest.get("missing"), manifest.get("missing")


def _outdir(assembly: Any) -> Any:
    from pathlib import Path

    return Path(assembly.directory)


@pytest.mark.parametrize("stack", ALL_STACKS)
def test_no_iam_statement_grants_everything(templates: dict[str, Any], stack: str) -> None:
    for logical_id, statement in iam_statements(templates[stack]):
        actions = as_list(statement["Action"])
        assert "*" not in actions, logical_id
        assert not any(a.endswith(":*") for a in actions), (logical_id, actions)
        if "*" in as_list(statement.get("Resource", [])):
            assert set(actions) <= STAR_RESOURCE_ALLOWED, (logical_id, actions)
            if "cloudwatch:PutMetricData" in actions:
                assert statement["Condition"] == {"StringEquals": {"cloudwatch:namespace": "FinOps"}}


# --- network ------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", APP_STACKS)
def test_vpc_spans_two_azs_with_endpoints(templates: dict[str, Any], stack: str) -> None:
    t = templates[stack]
    azs = {s["Properties"]["AvailabilityZone"] for s in resources(t, "AWS::EC2::Subnet").values()}
    assert azs == {"us-west-2a", "us-west-2b"}
    found = set()
    for endpoint in resources(t, "AWS::EC2::VPCEndpoint").values():
        name = endpoint["Properties"]["ServiceName"]
        # Either "com.amazonaws.<region>.<svc>" or a Join ending in ".<svc>".
        suffix = name["Fn::Join"][1][-1] if isinstance(name, dict) else name.removeprefix("com.amazonaws.us-west-2")
        found.add((suffix, endpoint["Properties"]["VpcEndpointType"]))
    assert found == {
        (".s3", "Gateway"),
        (".ecr.api", "Interface"),
        (".ecr.dkr", "Interface"),
        (".secretsmanager", "Interface"),
        (".logs", "Interface"),
        (".bedrock-runtime", "Interface"),
    }


@pytest.mark.parametrize("stack", APP_STACKS)
def test_tasks_run_in_private_subnets_without_public_ip(templates: dict[str, Any], stack: str) -> None:
    t = templates[stack]
    services = resources(t, "AWS::ECS::Service")
    assert len(services) == 4
    for res in services.values():
        vpc = res["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]
        assert vpc["AssignPublicIp"] == "DISABLED"
        subnet_ids = [ref["Ref"] for ref in vpc["Subnets"]]
        assert len(subnet_ids) == 2
        for subnet_id in subnet_ids:
            # The "app" subnets route out through NAT, never through the internet gateway.
            assert "appSubnet" in subnet_id
            route_table = next(
                a["Properties"]["RouteTableId"]["Ref"]
                for a in resources(t, "AWS::EC2::SubnetRouteTableAssociation").values()
                if a["Properties"]["SubnetId"]["Ref"] == subnet_id
            )
            default_routes = [
                r["Properties"]
                for r in resources(t, "AWS::EC2::Route").values()
                if r["Properties"]["RouteTableId"]["Ref"] == route_table
            ]
            assert default_routes and all("NatGatewayId" in r for r in default_routes)


# --- edge ---------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", APP_STACKS)
def test_https_listener_uses_the_wildcard_certificate(
    templates: dict[str, Any], configs: dict[str, Any], stack: str
) -> None:
    t = templates[stack]
    cfg = configs[stack.split("-")[1].lower()]
    cert_id, cert = one(t, "AWS::CertificateManager::Certificate")
    assert cert["Properties"]["DomainName"] == cfg.domain
    assert cert["Properties"]["SubjectAlternativeNames"] == [f"*.{cfg.domain}"]
    assert cert["Properties"]["ValidationMethod"] == "DNS"
    assert {o["HostedZoneId"] for o in cert["Properties"]["DomainValidationOptions"]} == {"Z0TESTZONE12345"}

    listeners = {
        r["Properties"]["Port"]: r["Properties"] for r in resources(t, "AWS::ElasticLoadBalancingV2::Listener").values()
    }
    assert sorted(listeners) == [80, 443]
    https = listeners[443]
    assert https["Protocol"] == "HTTPS"
    assert https["Certificates"] == [{"CertificateArn": {"Ref": cert_id}}]
    assert https["SslPolicy"].startswith("ELBSecurityPolicy-TLS13")
    http = listeners[80]
    assert http["DefaultActions"] == [
        {"Type": "redirect", "RedirectConfig": {"Port": "443", "Protocol": "HTTPS", "StatusCode": "HTTP_301"}}
    ]


@pytest.mark.parametrize("stack", APP_STACKS)
def test_dns_points_apex_and_wildcard_at_the_alb(
    templates: dict[str, Any], configs: dict[str, Any], stack: str
) -> None:
    cfg = configs[stack.split("-")[1].lower()]
    names = {r["Properties"]["Name"] for r in resources(templates[stack], "AWS::Route53::RecordSet").values()}
    assert names == {f"{cfg.domain}.", f"*.{cfg.domain}."}


@pytest.mark.parametrize("stack", APP_STACKS)
def test_waf_with_managed_rules_and_rate_limit_guards_the_alb(templates: dict[str, Any], stack: str) -> None:
    t = templates[stack]
    alb_id, _ = one(t, "AWS::ElasticLoadBalancingV2::LoadBalancer")
    acl_id, acl = one(t, "AWS::WAFv2::WebACL")
    _, association = one(t, "AWS::WAFv2::WebACLAssociation")
    assert association["Properties"] == {"ResourceArn": {"Ref": alb_id}, "WebACLArn": {"Fn::GetAtt": [acl_id, "Arn"]}}
    assert acl["Properties"]["Scope"] == "REGIONAL"
    managed = {
        r["Statement"]["ManagedRuleGroupStatement"]["Name"]
        for r in acl["Properties"]["Rules"]
        if "ManagedRuleGroupStatement" in r["Statement"]
    }
    assert managed == {
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesSQLiRuleSet",
    }
    rate = [r for r in acl["Properties"]["Rules"] if "RateBasedStatement" in r["Statement"]]
    assert len(rate) == 1 and rate[0]["Action"] == {"Block": {}}


@pytest.mark.parametrize("stack", APP_STACKS)
def test_web_target_group_checks_healthz(templates: dict[str, Any], stack: str) -> None:
    Template.from_json(templates[stack]).has_resource_properties(
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        {"HealthCheckPath": "/healthz", "Port": 8000, "TargetType": "ip", "Matcher": {"HttpCode": "200"}},
    )


# --- data ---------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", APP_STACKS)
def test_aurora_serverless_v2_sits_behind_a_tls_only_proxy(
    templates: dict[str, Any], configs: dict[str, Any], stack: str
) -> None:
    t = templates[stack]
    cfg = configs[stack.split("-")[1].lower()]
    cluster_id, cluster = one(t, "AWS::RDS::DBCluster")
    props = cluster["Properties"]
    assert props["Engine"] == "aurora-postgresql"
    major, minor = (int(x) for x in props["EngineVersion"].split(".")[:2])
    assert (major, minor) >= (16, 13)
    assert props["StorageEncrypted"] is True
    assert props["ServerlessV2ScalingConfiguration"] == {
        "MinCapacity": cfg.db_min_acu,
        "MaxCapacity": cfg.db_max_acu,
    }
    assert props["BackupRetentionPeriod"] == cfg.db_backup_days
    assert props["PerformanceInsightsEnabled"] is True
    instances = resources(t, "AWS::RDS::DBInstance").values()
    assert len(instances) == 1 + cfg.db_readers
    assert all(i["Properties"]["DBInstanceClass"] == "db.serverless" for i in instances)

    _, proxy = one(t, "AWS::RDS::DBProxy")
    assert proxy["Properties"]["RequireTLS"] is True
    _, target = one(t, "AWS::RDS::DBProxyTargetGroup")
    assert target["Properties"]["DBClusterIdentifiers"] == [{"Ref": cluster_id}]


def test_production_database_is_protected_and_retained(templates: dict[str, Any]) -> None:
    t = templates["FinOps-Production"]
    _, cluster = one(t, "AWS::RDS::DBCluster")
    assert cluster["Properties"]["DeletionProtection"] is True
    assert cluster["DeletionPolicy"] == "Retain"
    assert cluster["UpdateReplacePolicy"] == "Retain"
    _, bucket = one(t, "AWS::S3::Bucket")
    assert bucket["DeletionPolicy"] == "Retain"
    _, redis = one(t, "AWS::ElastiCache::ReplicationGroup")
    assert redis["DeletionPolicy"] == "Retain"
    # The retained cluster keeps its credentials (and every other secret) too.
    for secret in resources(t, "AWS::SecretsManager::Secret").values():
        assert secret["DeletionPolicy"] == "Retain"


def test_staging_database_is_neither_protected_nor_retained(templates: dict[str, Any]) -> None:
    _, cluster = one(templates["FinOps-Staging"], "AWS::RDS::DBCluster")
    assert cluster["Properties"]["DeletionProtection"] is False
    assert cluster.get("DeletionPolicy") != "Retain"


@pytest.mark.parametrize("stack", APP_STACKS)
def test_redis_encrypts_in_transit_and_at_rest_with_auth_token(templates: dict[str, Any], stack: str) -> None:
    t = templates[stack]
    _, redis = one(t, "AWS::ElastiCache::ReplicationGroup")
    props = redis["Properties"]
    assert props["TransitEncryptionEnabled"] is True
    assert props["AtRestEncryptionEnabled"] is True
    token = json.dumps(props["AuthToken"])
    secret_id, _ = next((k, v) for k, v in resources(t, "AWS::SecretsManager::Secret").items() if "RedisAuthToken" in k)
    assert "{{resolve:secretsmanager:" in token and secret_id in token


@pytest.mark.parametrize("stack", APP_STACKS)
def test_files_bucket_is_private_encrypted_versioned_and_tls_only(templates: dict[str, Any], stack: str) -> None:
    t = templates[stack]
    bucket_id, bucket = one(t, "AWS::S3::Bucket")
    props = bucket["Properties"]
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    _, policy = one(t, "AWS::S3::BucketPolicy")
    assert {
        "Action": "s3:*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Resource": [
            {"Fn::GetAtt": [bucket_id, "Arn"]},
            {"Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, "/*"]]},
        ],
    } in policy["Properties"]["PolicyDocument"]["Statement"]


@pytest.mark.parametrize("stack", APP_STACKS)
def test_files_bucket_takes_browser_posts_only_from_organization_sites(templates: dict[str, Any], stack: str) -> None:
    _, bucket = one(templates[stack], "AWS::S3::Bucket")
    (rule,) = bucket["Properties"]["CorsConfiguration"]["CorsRules"]
    assert rule["AllowedMethods"] == ["POST"]
    (origin,) = rule["AllowedOrigins"]
    assert origin.startswith("https://*.") and origin.endswith("costs.example.org")  # the tests' context domain
