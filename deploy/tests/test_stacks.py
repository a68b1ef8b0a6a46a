"""Properties of the synthesized CloudFormation that must hold in every environment."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from .conftest import CONTEXT

pytestmark = pytest.mark.xdist_group("cdk-synth")

APP_STACKS = ["FinOps-Staging", "FinOps-Production"]
ALL_STACKS = [*APP_STACKS, "FinOps-Bootstrap"]

# Actions AWS offers no resource-level permission for: "*" is the only valid Resource.
STAR_RESOURCE_ALLOWED = {
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "xray:GetSamplingStatisticSummaries",
    "cloudwatch:PutMetricData",  # only with the namespace condition, checked below
    "ecr:GetAuthorizationToken",
    "ecs:DescribeTaskDefinition",
}


# --- helpers ------------------------------------------------------------------------------


def resources(template: dict[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == type_}


def one(template: dict[str, Any], type_: str) -> tuple[str, dict[str, Any]]:
    found = resources(template, type_)
    assert len(found) == 1, f"expected one {type_}, found {sorted(found)}"
    return next(iter(found.items()))


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def iam_statements(template: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every identity-policy statement in the template, with the logical id holding it."""
    for logical_id, res in template["Resources"].items():
        props = res.get("Properties", {})
        if res["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            for statement in props["PolicyDocument"]["Statement"]:
                yield logical_id, statement
        elif res["Type"] == "AWS::IAM::Role":
            for policy in props.get("Policies", []):
                for statement in policy["PolicyDocument"]["Statement"]:
                    yield logical_id, statement


def statements_with_action(template: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for _, s in iam_statements(template) if action in as_list(s["Action"])]


def task_definition(template: dict[str, Any], family_suffix: str) -> dict[str, Any]:
    for res in resources(template, "AWS::ECS::TaskDefinition").values():
        if res["Properties"]["Family"].endswith(f"-{family_suffix}"):
            return res["Properties"]
    raise AssertionError(f"no task definition for {family_suffix}")


def container(task: dict[str, Any], name: str) -> dict[str, Any]:
    matches = [c for c in task["ContainerDefinitions"] if c["Name"] == name]
    assert len(matches) == 1, [c["Name"] for c in task["ContainerDefinitions"]]
    return matches[0]


def service(template: dict[str, Any], name: str) -> tuple[str, dict[str, Any]]:
    for logical_id, res in resources(template, "AWS::ECS::Service").items():
        if res["Properties"]["ServiceName"] == name:
            return logical_id, res
    raise AssertionError(f"no service {name}")


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


# --- compute ------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", APP_STACKS)
def test_services_run_the_expected_commands(templates: dict[str, Any], stack: str) -> None:
    t = templates[stack]
    commands = {
        "web": ["gunicorn", "finops.wsgi:application", "--config", "deploy/gunicorn.conf.py"],
        "worker-ingest": ["celery", "-A", "finops", "worker", "-Q", "ingest"],
        "worker-ai": ["celery", "-A", "finops", "worker", "-Q", "ai,default"],
        "beat": ["celery", "-A", "finops", "beat"],
        "migrate": ["python", "manage.py", "prepare_db"],
    }
    for name, command in commands.items():
        app = container(task_definition(t, name), name)
        assert app["Command"] == command
        assert app["Essential"] is True
        assert json.dumps(app["Image"]).count(":abc1234") == 1, app["Image"]


@pytest.mark.parametrize("stack", APP_STACKS)
def test_tasks_get_configuration_and_secrets(templates: dict[str, Any], stack: str) -> None:
    t = templates[stack]
    proxy_id, _ = one(t, "AWS::RDS::DBProxy")
    app = container(task_definition(t, "worker-ai"), "worker-ai")
    env = {e["Name"]: e["Value"] for e in app["Environment"]}
    assert env["DATABASE_HOST"] == {"Fn::GetAtt": [proxy_id, "Endpoint"]}
    assert env["REDIS_URL"]["Fn::Join"][1][0] == "rediss://"
    assert env["BEDROCK_MODEL_ID"] == CONTEXT["bedrockModelId"]
    assert "AWS_STORAGE_BUCKET_NAME" in env and "BASE_DOMAIN" in env
    secrets = {s["Name"] for s in app["Secrets"]}
    assert secrets == {"SECRET_KEY", "DATABASE_USER", "DATABASE_PASSWORD", "REDIS_PASSWORD"}
    # Secrets never appear as plain environment values.
    assert not secrets & set(env)


@pytest.mark.parametrize("stack", APP_STACKS)
def test_beat_runs_exactly_one_task(templates: dict[str, Any], stack: str) -> None:
    t = templates[stack]
    beat_id, beat = service(t, "beat")
    deployment = beat["Properties"]["DeploymentConfiguration"]
    assert beat["Properties"]["DesiredCount"] == 1
    assert deployment["MaximumPercent"] == 100
    assert deployment["MinimumHealthyPercent"] == 0
    scaled = json.dumps(resources(t, "AWS::ApplicationAutoScaling::ScalableTarget"))
    assert beat_id not in scaled


@pytest.mark.parametrize("stack", APP_STACKS)
def test_web_scales_on_cpu_and_requests_per_target(templates: dict[str, Any], stack: str) -> None:
    metrics = {
        p["Properties"]["TargetTrackingScalingPolicyConfiguration"]["PredefinedMetricSpecification"][
            "PredefinedMetricType"
        ]
        for p in resources(templates[stack], "AWS::ApplicationAutoScaling::ScalingPolicy").values()
        if p["Properties"]["PolicyType"] == "TargetTrackingScaling"
    }
    assert metrics == {"ECSServiceAverageCPUUtilization", "ALBRequestCountPerTarget"}


@pytest.mark.parametrize("stack", APP_STACKS)
def test_workers_scale_on_the_published_queue_depth(templates: dict[str, Any], stack: str) -> None:
    t = templates[stack]
    step_policies = {
        k
        for k, p in resources(t, "AWS::ApplicationAutoScaling::ScalingPolicy").items()
        if p["Properties"]["PolicyType"] == "StepScaling"
    }
    queues_by_policy: dict[str, set[str]] = {}
    for alarm in resources(t, "AWS::CloudWatch::Alarm").values():
        actions = json.dumps(alarm["Properties"].get("AlarmActions", []))
        policy = next((p for p in step_policies if p in actions), None)
        if policy is None:
            continue
        props = alarm["Properties"]
        metrics = (
            [m["MetricStat"]["Metric"] for m in props["Metrics"] if "MetricStat" in m]
            if "Metrics" in props
            else [props]
        )
        for m in metrics:
            assert m["Namespace"] == "FinOps" and m["MetricName"] == "QueueDepth"
            queues_by_policy.setdefault(policy, set()).update(
                d["Value"] for d in m["Dimensions"] if d["Name"] == "Queue"
            )
    # Step scaling makes a scale-out and a scale-in policy per service.
    assert len(queues_by_policy) == 4
    assert {frozenset(q) for q in queues_by_policy.values()} == {frozenset({"ai", "default"}), frozenset({"ingest"})}


@pytest.mark.parametrize("stack", APP_STACKS)
def test_exactly_the_default_queue_worker_publishes_the_queue_depth_metric(
    templates: dict[str, Any], stack: str
) -> None:
    def publishes(name: str) -> bool:
        env = {e["Name"]: e["Value"] for e in container(task_definition(templates[stack], name), name)["Environment"]}
        return env.get("PUBLISH_QUEUE_METRICS") == "true"

    assert [n for n in ("web", "worker-ingest", "worker-ai", "beat") if publishes(n)] == ["worker-ai"]


@pytest.mark.parametrize("stack", APP_STACKS)
def test_every_service_task_has_an_otel_sidecar_and_health_check(templates: dict[str, Any], stack: str) -> None:
    t = templates[stack]
    for name in ("web", "worker-ingest", "worker-ai", "beat"):
        task = task_definition(t, name)
        sidecar = container(task, "otel-collector")
        assert sidecar["Image"].startswith("public.ecr.aws/aws-observability/aws-otel-collector:")
        assert sidecar["Essential"] is False
    web = container(task_definition(t, "web"), "web")
    assert "/healthz" in " ".join(web["HealthCheck"]["Command"])
    assert web["PortMappings"][0]["ContainerPort"] == 8000


@pytest.mark.parametrize("stack", APP_STACKS)
def test_every_container_logs_to_a_log_group_with_retention(templates: dict[str, Any], stack: str) -> None:
    t = templates[stack]
    groups = resources(t, "AWS::Logs::LogGroup")
    assert groups and all("RetentionInDays" in g["Properties"] for g in groups.values())
    for task in resources(t, "AWS::ECS::TaskDefinition").values():
        for c in task["Properties"]["ContainerDefinitions"]:
            log = c["LogConfiguration"]
            assert log["LogDriver"] == "awslogs"
            assert log["Options"]["awslogs-group"]["Ref"] in groups


# --- IAM ----------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", APP_STACKS)
def test_bedrock_is_allowed_only_on_the_configured_model(
    templates: dict[str, Any], configs: dict[str, Any], stack: str
) -> None:
    cfg = configs[stack.split("-")[1].lower()]
    statements = statements_with_action(templates[stack], "bedrock:InvokeModel")
    assert statements
    granted = {r for s in statements for r in as_list(s["Resource"])}
    assert granted == {cfg.bedrock_inference_profile_arn, *cfg.bedrock_foundation_model_arns}
    assert cfg.bedrock_inference_profile_arn.endswith(":inference-profile/us.anthropic.claude-sonnet-4-20250514-v1:0")
    for s in statements:
        if any(":foundation-model/" in r for r in as_list(s["Resource"])):
            # The foundation model only through our inference profile.
            assert s["Condition"] == {
                "StringEquals": {"bedrock:InferenceProfileArn": cfg.bedrock_inference_profile_arn}
            }
    all_actions = {
        a for _, s in iam_statements(templates[stack]) for a in as_list(s["Action"]) if a.startswith("bedrock:")
    }
    assert all_actions == {"bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"}


@pytest.mark.parametrize("stack", APP_STACKS)
def test_assume_role_is_limited_to_customer_read_only_roles(templates: dict[str, Any], stack: str) -> None:
    statements = statements_with_action(templates[stack], "sts:AssumeRole")
    assert statements
    for s in statements:
        assert as_list(s["Resource"]) == ["arn:aws:iam::*:role/finops-readonly/*"]


@pytest.mark.parametrize("stack", APP_STACKS)
def test_s3_access_is_limited_to_our_bucket(templates: dict[str, Any], stack: str) -> None:
    t = templates[stack]
    bucket_id, _ = one(t, "AWS::S3::Bucket")
    s3_statements = [s for _, s in iam_statements(t) if any(a.startswith("s3:") for a in as_list(s["Action"]))]
    assert s3_statements
    for s in s3_statements:
        for resource in as_list(s["Resource"]):
            assert resource in (
                {"Fn::GetAtt": [bucket_id, "Arn"]},
                {"Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, "/*"]]},
            ), resource


@pytest.mark.parametrize("stack", APP_STACKS)
def test_only_the_ai_worker_may_call_bedrock(templates: dict[str, Any], stack: str) -> None:
    t = templates[stack]
    holders = {logical_id for logical_id, s in iam_statements(t) if "bedrock:InvokeModel" in as_list(s["Action"])}
    assert len(holders) == 1 and "WorkerAi" in next(iter(holders))


# --- alarms -------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", APP_STACKS)
def test_alarms_cover_the_key_symptoms_and_notify_sns(templates: dict[str, Any], stack: str) -> None:
    t = templates[stack]
    topic_id, _ = one(t, "AWS::SNS::Topic")
    step_policies = set(resources(t, "AWS::ApplicationAutoScaling::ScalingPolicy"))
    metric_names: set[str] = set()
    for alarm in resources(t, "AWS::CloudWatch::Alarm").values():
        props = alarm["Properties"]
        actions = props.get("AlarmActions", [])
        if any(a.get("Ref") in step_policies for a in actions):
            continue  # autoscaling alarms, not for humans
        assert actions == [{"Ref": topic_id}], props.get("AlarmDescription")
        if "MetricName" in props:
            metric_names.add(props["MetricName"])
        for m in props.get("Metrics", []):
            if "MetricStat" in m:
                metric_names.add(m["MetricStat"]["Metric"]["MetricName"])
    assert {
        "HTTPCode_Target_5XX_Count",
        "HTTPCode_ELB_5XX_Count",
        "TargetResponseTime",
        "QueueDepth",
        "RunningTaskCount",
        "ServerlessDatabaseCapacity",
    } <= metric_names


def test_capacity_alarm_fires_near_the_configured_maximum(templates: dict[str, Any], configs: dict[str, Any]) -> None:
    alarms = [
        a["Properties"]
        for a in resources(templates["FinOps-Production"], "AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("MetricName") == "ServerlessDatabaseCapacity"
    ]
    assert [a["Threshold"] for a in alarms] == [configs["production"].db_max_acu * 0.9]


# --- bootstrap ----------------------------------------------------------------------------


def test_deploy_role_trusts_only_the_main_branch_of_the_repository(templates: dict[str, Any]) -> None:
    t = templates["FinOps-Bootstrap"]
    provider_id, provider = one(t, "AWS::IAM::OIDCProvider")
    assert provider["Properties"]["Url"] == "https://token.actions.githubusercontent.com"
    assert provider["Properties"]["ClientIdList"] == ["sts.amazonaws.com"]
    _, role = one(t, "AWS::IAM::Role")
    (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert trust["Principal"] == {"Federated": {"Ref": provider_id}}
    assert trust["Condition"] == {
        "StringEquals": {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            "token.actions.githubusercontent.com:sub": "repo:acme/finops-app:ref:refs/heads/main",
        }
    }


def test_deploy_role_can_pass_only_application_roles_to_ecs(templates: dict[str, Any]) -> None:
    (statement,) = statements_with_action(templates["FinOps-Bootstrap"], "iam:PassRole")
    assert statement["Resource"] == "arn:aws:iam::123456789012:role/finops-app/*"
    assert statement["Condition"] == {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}
    # ...and every role the application stacks give to ECS tasks lives under that path.
    for stack in APP_STACKS:
        task_roles = [
            r["Properties"]
            for r in resources(templates[stack], "AWS::IAM::Role").values()
            if "ecs-tasks.amazonaws.com" in json.dumps(r["Properties"]["AssumeRolePolicyDocument"])
        ]
        assert len(task_roles) == 6  # execution role + web, 2 workers, beat, migrate
        assert all(r["Path"] == "/finops-app/" for r in task_roles)


def test_deploy_role_runs_and_registers_only_migrate_task_definitions(templates: dict[str, Any]) -> None:
    (statement,) = statements_with_action(templates["FinOps-Bootstrap"], "ecs:RunTask")
    assert set(as_list(statement["Action"])) == {"ecs:RunTask", "ecs:RegisterTaskDefinition"}
    assert statement["Resource"] == "arn:aws:ecs:us-west-2:123456789012:task-definition/finops-*-migrate:*"


def test_single_image_repository_is_immutable_and_scanned(templates: dict[str, Any]) -> None:
    Template.from_json(templates["FinOps-Bootstrap"]).has_resource_properties(
        "AWS::ECR::Repository",
        {
            "RepositoryName": "finops",
            "ImageTagMutability": "IMMUTABLE",
            "ImageScanningConfiguration": {"ScanOnPush": True},
        },
    )
    for stack in APP_STACKS:
        assert not resources(templates[stack], "AWS::ECR::Repository")
        Template.from_json(templates[stack]).has_output("MigrateTaskFamily", {"Value": Match.any_value()})
