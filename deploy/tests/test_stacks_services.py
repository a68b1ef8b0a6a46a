"""Properties of the synthesized CloudFormation that must hold in every environment: compute, IAM, alarms, bootstrap."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from .conftest import CONTEXT
from .templates import (
    APP_STACKS,
    as_list,
    container,
    iam_statements,
    one,
    resources,
    service,
    statements_with_action,
    task_definition,
)

pytestmark = pytest.mark.xdist_group("cdk-synth")


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
def test_ingest_worker_children_have_a_memory_ceiling_below_the_task_memory(
    templates: dict[str, Any], stack: str
) -> None:
    task = task_definition(templates[stack], "worker-ingest")
    env = {e["Name"]: e["Value"] for e in container(task, "worker-ingest")["Environment"]}
    ceiling = int(env["CELERY_WORKER_MAX_MEMORY_PER_CHILD_MB"])
    assert ceiling == int(task["Memory"]) // 2


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
    assert cfg.bedrock_inference_profile_arn.endswith(":inference-profile/us.anthropic.claude-sonnet-4-6")
    for s in statements:
        if any(":foundation-model/" in r for r in as_list(s["Resource"])):
            # The foundation model only through our inference profile.
            assert s["Condition"] == {
                "StringEquals": {"bedrock:InferenceProfileArn": cfg.bedrock_inference_profile_arn}
            }
    all_actions = {
        a for _, s in iam_statements(templates[stack]) for a in as_list(s["Action"]) if a.startswith("bedrock:")
    }
    assert all_actions == {
        "bedrock:InvokeModel",
        "bedrock:InvokeModelWithResponseStream",
        "bedrock:CountTokens",
        "bedrock:CreateModelInvocationJob",
        "bedrock:GetModelInvocationJob",
    }
    # Token counting on the foundation model; batch jobs only of ours and on our model.
    (count,) = statements_with_action(templates[stack], "bedrock:CountTokens")
    assert set(as_list(count["Resource"])) == set(cfg.bedrock_foundation_model_arns)
    (jobs,) = statements_with_action(templates[stack], "bedrock:CreateModelInvocationJob")
    job_arns = f"arn:aws:bedrock:{cfg.region}:{cfg.account}:model-invocation-job/*"
    assert set(as_list(jobs["Resource"])) == {
        job_arns,
        cfg.bedrock_inference_profile_arn,
        *cfg.bedrock_foundation_model_arns,
    }


@pytest.mark.parametrize("stack", APP_STACKS)
def test_bedrock_batch_jobs_run_as_a_role_only_bedrock_of_this_account_may_assume(
    templates: dict[str, Any], configs: dict[str, Any], stack: str
) -> None:
    cfg = configs[stack.split("-")[1].lower()]
    t = templates[stack]
    roles = {
        logical_id: r
        for logical_id, r in t["Resources"].items()
        if r["Type"] == "AWS::IAM::Role" and "BatchJobRole" in logical_id
    }
    ((batch_id, batch),) = roles.items()
    (trust,) = batch["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "bedrock.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": cfg.account}
    # Only the AI worker may hand that role to Bedrock.
    (pass_role,) = statements_with_action(t, "iam:PassRole")
    assert pass_role["Resource"] == {"Fn::GetAtt": [batch_id, "Arn"]}
    assert pass_role["Condition"] == {"StringEquals": {"iam:PassedToService": "bedrock.amazonaws.com"}}
    holders = {logical_id for logical_id, s in iam_statements(t) if "iam:PassRole" in as_list(s["Action"])}
    assert len(holders) == 1 and "WorkerAi" in next(iter(holders))
    app = container(task_definition(t, "worker-ai"), "worker-ai")
    env = {e["Name"]: e["Value"] for e in app["Environment"]}
    assert env["RECOMMENDATIONS_PROVIDER"] == "bedrock"
    assert env["BEDROCK_BATCH_ROLE_ARN"] == {"Fn::GetAtt": [batch_id, "Arn"]}


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
                # Bedrock's batch jobs: only their prefix.
                {"Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, "/recommendations/*"]]},
            ), resource


@pytest.mark.parametrize("stack", APP_STACKS)
def test_only_the_ai_worker_may_call_bedrock(templates: dict[str, Any], stack: str) -> None:
    t = templates[stack]
    holders = {logical_id for logical_id, s in iam_statements(t) if "bedrock:InvokeModel" in as_list(s["Action"])}
    # The AI worker, and the role Bedrock runs the worker's batch jobs as.
    assert len(holders) == 2
    assert {("WorkerAi" in h, "BatchJobRole" in h) for h in holders} == {(True, False), (False, True)}


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
