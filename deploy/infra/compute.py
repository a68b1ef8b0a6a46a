"""ECS Fargate: web, two Celery worker pools, beat, and the one-off migrate task."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

from .bedrock import BedrockAccess
from .config import (
    APP_ROLE_PATH,
    CUSTOMER_ROLE_ARN_PATTERN,
    ECR_REPOSITORY_NAME,
    METRIC_NAMESPACE,
    OTEL_COLLECTOR_IMAGE,
    QUEUE_DEPTH_METRIC,
    EnvironmentConfig,
    ServiceSize,
)
from .data import DB_NAME, DB_PORT, Data, retention_days
from .edge import HEALTH_CHECK_PATH, WEB_PORT, Edge
from .network import Network

XRAY_ACTIONS = [
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "xray:GetSamplingStatisticSummaries",
]

WEB_COMMAND = ["gunicorn", "finops.wsgi:application", "--config", "deploy/gunicorn.conf.py"]
# prepare_db: shared and tenant migrations, the public tenant, and the sign-up template schema.
MIGRATE_COMMAND = ["python", "manage.py", "prepare_db"]
# Liveness only: any HTTP answer (even 503 while the database is away) means gunicorn is
# alive; a refused or hung connection is not. Readiness (200 from /healthz, which checks
# the database and Redis) is the ALB target group's job. No curl needed in the image.
WEB_HEALTH_COMMAND = [
    "CMD",
    "python",
    "-c",
    "import urllib.request as r, urllib.error as e\n"
    "try:\n"
    f"    r.urlopen('http://localhost:{WEB_PORT}{HEALTH_CHECK_PATH}', timeout=4)\n"
    "except e.HTTPError:\n"
    "    pass",
]
# Pings only this worker's own node through the broker; catches a hung consumer.
WORKER_HEALTH_COMMAND = [
    "CMD-SHELL",
    "celery -A finops inspect ping --timeout 10 -d celery@$(hostname) || exit 1",
]


def queue_depth(queue: str) -> cloudwatch.Metric:
    """The metric the application publishes for each Celery queue."""
    return cloudwatch.Metric(
        namespace=METRIC_NAMESPACE,
        metric_name=QUEUE_DEPTH_METRIC,
        dimensions_map={"Queue": queue},
        statistic="Maximum",
        period=Duration.minutes(1),
    )


@dataclass(frozen=True)
class WorkerPool:
    name: str
    queues: tuple[str, ...]


WORKER_POOLS = (
    WorkerPool("worker-ingest", ("ingest",)),
    WorkerPool("worker-ai", ("ai", "default")),
)


class Compute(Construct):
    """The ECS cluster, its task definitions, services and autoscaling."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        cfg: EnvironmentConfig,
        network: Network,
        data: Data,
        edge: Edge,
    ) -> None:
        super().__init__(scope, id)
        self.cfg = cfg
        self.data = data
        self.cluster = ecs.Cluster(
            self,
            "Cluster",
            vpc=network.vpc,
            cluster_name=cfg.prefix,
            # Container Insights provides RunningTaskCount for the task alarms.
            container_insights_v2=ecs.ContainerInsights.ENABLED,
        )
        repository = ecr.Repository.from_repository_name(self, "Repo", ECR_REPOSITORY_NAME)
        self.image = ecs.ContainerImage.from_ecr_repository(repository, cfg.image_tag)
        self.subnets = network.app_subnets

        self.web_sg = ec2.SecurityGroup(self, "WebSg", vpc=network.vpc, description="web tasks: ALB ingress only")
        self.worker_sg = ec2.SecurityGroup(
            self, "WorkerSg", vpc=network.vpc, description="workers, beat, migrate: no ingress"
        )
        for sg in (self.web_sg, self.worker_sg):
            data.allow_from(sg)

        self.execution_role = iam.Role(
            self,
            "ExecutionRole",
            assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
            path=APP_ROLE_PATH,
            description="pulls the image, writes logs, reads the injected secrets",
        )
        # Names match finops/settings.py. The database is given in parts because an ECS
        # secret cannot be spliced into DATABASE_URL; settings assemble it.
        self.environment = {
            "APP_ENVIRONMENT": cfg.name,
            "BASE_DOMAIN": cfg.domain,
            "AWS_REGION": cfg.region,
            "FINOPS_AWS_ACCOUNT_ID": cfg.account,
            "DATABASE_HOST": data.proxy.endpoint,
            "DATABASE_PORT": str(DB_PORT),
            "DATABASE_NAME": DB_NAME,
            "DATABASE_SSLMODE": "require",
            "REDIS_URL": data.redis_url,
            "AWS_STORAGE_BUCKET_NAME": data.bucket.bucket_name,
            "BEDROCK_MODEL_ID": cfg.bedrock_model_id,
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://localhost:4317",
            # The ALB appends the client's address to X-Forwarded-For; per-address limits use it.
            "TRUSTED_PROXY_COUNT": "1",
        }
        self.secrets = {
            "SECRET_KEY": ecs.Secret.from_secrets_manager(data.django_secret),
            "DATABASE_USER": ecs.Secret.from_secrets_manager(data.db_secret, "username"),
            "DATABASE_PASSWORD": ecs.Secret.from_secrets_manager(data.db_secret, "password"),
            # Kept out of REDIS_URL: an ECS secret cannot be spliced into a string.
            "REDIS_PASSWORD": ecs.Secret.from_secrets_manager(data.redis_auth),
        }

        # --- web ------------------------------------------------------------------------
        web_role = self._task_role("web", s3=True, assume_customer_roles=True)
        web_task = self._task_definition(
            "web",
            cfg.web,
            WEB_COMMAND,
            web_role,
            extra_env={"GUNICORN_WORKERS": str(cfg.gunicorn_workers)},
            health=ecs.HealthCheck(
                command=WEB_HEALTH_COMMAND,
                interval=Duration.seconds(30),
                timeout=Duration.seconds(5),
                retries=3,
                start_period=Duration.seconds(60),
            ),
            port=WEB_PORT,
        )
        self.web = self._service("web", web_task, cfg.web, self.web_sg)
        self.web.attach_to_application_target_group(edge.target_group)
        web_scaling = self.web.auto_scale_task_count(min_capacity=cfg.web.min_count, max_capacity=cfg.web.max_count)
        web_scaling.scale_on_cpu_utilization(
            "Cpu",
            target_utilization_percent=60,
            scale_in_cooldown=Duration.minutes(5),
            scale_out_cooldown=Duration.minutes(1),
        )
        web_scaling.scale_on_request_count(
            "Requests",
            requests_per_target=cfg.web_requests_per_target,
            target_group=edge.target_group,
            scale_in_cooldown=Duration.minutes(5),
            scale_out_cooldown=Duration.minutes(1),
        )

        # --- workers --------------------------------------------------------------------
        self.bedrock = BedrockAccess(self, "Bedrock", cfg=cfg, bucket=data.bucket)
        self.workers: dict[str, ecs.FargateService] = {}
        sizes = {"worker-ingest": cfg.worker_ingest, "worker-ai": cfg.worker_ai}
        for pool in WORKER_POOLS:
            role = self._task_role(
                pool.name,
                s3=True,
                assume_customer_roles=True,
                bedrock="ai" in pool.queues,
            )
            size = sizes[pool.name]
            task = self._task_definition(
                pool.name,
                size,
                ["celery", "-A", "finops", "worker", "-Q", ",".join(pool.queues)],
                role,
                extra_env=self._worker_env(pool.queues, size),
                health=ecs.HealthCheck(
                    command=WORKER_HEALTH_COMMAND,
                    interval=Duration.seconds(60),
                    timeout=Duration.seconds(30),
                    retries=3,
                    start_period=Duration.seconds(120),
                ),
                # Celery's warm shutdown finishes the running task; Fargate's maximum.
                stop_timeout=Duration.seconds(120),
            )
            service = self._service(pool.name, task, size, self.worker_sg)
            self._scale_on_queue_depth(service, pool, size)
            self.workers[pool.name] = service

        # --- beat: exactly one scheduler, never two during a deployment ------------------
        beat_role = self._task_role("beat")
        beat_task = self._task_definition("beat", cfg.beat, ["celery", "-A", "finops", "beat"], beat_role)
        self.beat = self._service("beat", beat_task, cfg.beat, self.worker_sg, min_healthy=0, max_healthy=100)

        # --- migrate: a one-off task run by the deploy pipeline before the services move --
        migrate_role = self._task_role("migrate", publish_metrics=False)
        self.migrate_task = self._task_definition("migrate", cfg.migrate, MIGRATE_COMMAND, migrate_role, otel=False)

    # ------------------------------------------------------------------------------------

    def _task_role(
        self,
        name: str,
        *,
        s3: bool = False,
        assume_customer_roles: bool = False,
        bedrock: bool = False,
        publish_metrics: bool = True,
    ) -> iam.Role:
        """One role per service, holding only what that service's code calls."""
        cfg = self.cfg
        role = iam.Role(
            self,
            f"{_camel(name)}TaskRole",
            assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
            path=APP_ROLE_PATH,
            description=f"{cfg.prefix} {name} task role",
        )
        # X-Ray has no resource-level permissions: "*" is the only valid resource.
        role.add_to_policy(iam.PolicyStatement(actions=XRAY_ACTIONS, resources=["*"]))
        if publish_metrics:
            # PutMetricData has no resources either; the namespace condition scopes it.
            role.add_to_policy(
                iam.PolicyStatement(
                    actions=["cloudwatch:PutMetricData"],
                    resources=["*"],
                    conditions={"StringEquals": {"cloudwatch:namespace": METRIC_NAMESPACE}},
                )
            )
        if s3:
            self.data.bucket.grant_read_write(role)
        if assume_customer_roles:
            role.add_to_policy(iam.PolicyStatement(actions=["sts:AssumeRole"], resources=[CUSTOMER_ROLE_ARN_PATTERN]))
        if bedrock:
            self.bedrock.grant(role)
        return role

    def _worker_env(self, queues: tuple[str, ...], size: ServiceSize) -> dict[str, str]:
        env: dict[str, str] = {}
        if "ingest" in queues:
            # A worker child past half the task's memory after a job is replaced before the next
            # one; the task's memory limit (a cgroup) is the hard ceiling (README, Operations).
            env["CELERY_WORKER_MAX_MEMORY_PER_CHILD_MB"] = str(size.memory_mib // 2)
        if "default" in queues:
            # This pool runs finops.metrics.publish_queue_depth, the QueueDepth metric the
            # worker autoscaling and alarms read.
            env["PUBLISH_QUEUE_METRICS"] = "true"
        if "ai" in queues:
            env.update(self.bedrock.environment)
        return env

    def _task_definition(
        self,
        name: str,
        size: ServiceSize,
        command: list[str],
        role: iam.IRole,
        *,
        extra_env: dict[str, str] | None = None,
        health: ecs.HealthCheck | None = None,
        port: int | None = None,
        stop_timeout: Duration | None = None,
        otel: bool = True,
    ) -> ecs.FargateTaskDefinition:
        cfg = self.cfg
        task = ecs.FargateTaskDefinition(
            self,
            f"{_camel(name)}Task",
            family=f"{cfg.prefix}-{name}",
            cpu=size.cpu,
            memory_limit_mib=size.memory_mib,
            task_role=role,
            execution_role=self.execution_role,
            runtime_platform=ecs.RuntimePlatform(
                cpu_architecture=ecs.CpuArchitecture.X86_64,
                operating_system_family=ecs.OperatingSystemFamily.LINUX,
            ),
        )
        log_group = logs.LogGroup(
            self,
            f"{_camel(name)}Logs",
            log_group_name=f"/finops/{cfg.name}/{name}",
            retention=retention_days(cfg.log_retention_days),
            removal_policy=RemovalPolicy.RETAIN if cfg.protect_data else RemovalPolicy.DESTROY,
        )
        app = task.add_container(
            name,
            image=self.image,
            command=command,
            environment={**self.environment, "OTEL_SERVICE_NAME": name, **(extra_env or {})},
            secrets=self.secrets,
            logging=ecs.LogDrivers.aws_logs(stream_prefix=name, log_group=log_group),
            health_check=health,
            port_mappings=[ecs.PortMapping(container_port=port)] if port else None,
            stop_timeout=stop_timeout,
            essential=True,
        )
        if otel:
            collector = task.add_container(
                "otel-collector",
                image=ecs.ContainerImage.from_registry(OTEL_COLLECTOR_IMAGE),
                command=["--config=/etc/ecs/ecs-xray.yaml"],
                # Losing traces must not take the application down with it.
                essential=False,
                memory_reservation_mib=64,
                logging=ecs.LogDrivers.aws_logs(stream_prefix="otel", log_group=log_group),
            )
            app.add_container_dependencies(
                ecs.ContainerDependency(container=collector, condition=ecs.ContainerDependencyCondition.START)
            )
        return task

    def _service(
        self,
        name: str,
        task: ecs.FargateTaskDefinition,
        size: ServiceSize,
        sg: ec2.ISecurityGroup,
        *,
        min_healthy: int = 100,
        max_healthy: int = 200,
    ) -> ecs.FargateService:
        return ecs.FargateService(
            self,
            f"{_camel(name)}Service",
            cluster=self.cluster,
            task_definition=task,
            service_name=name,
            desired_count=size.min_count,
            assign_public_ip=False,
            vpc_subnets=self.subnets,
            security_groups=[sg],
            min_healthy_percent=min_healthy,
            max_healthy_percent=max_healthy,
            circuit_breaker=ecs.DeploymentCircuitBreaker(enable=True, rollback=True),
            health_check_grace_period=Duration.seconds(60) if name == "web" else None,
            propagate_tags=ecs.PropagatedTagSource.SERVICE,
        )

    def _scale_on_queue_depth(self, service: ecs.FargateService, pool: WorkerPool, size: ServiceSize) -> None:
        scaling = service.auto_scale_task_count(min_capacity=size.min_count, max_capacity=size.max_count)
        metric: cloudwatch.IMetric
        if len(pool.queues) == 1:
            metric = queue_depth(pool.queues[0])
        else:
            metric = cloudwatch.MathExpression(
                expression=" + ".join(f"FILL(q{i}, 0)" for i in range(len(pool.queues))),
                using_metrics={f"q{i}": queue_depth(q) for i, q in enumerate(pool.queues)},
                label=f"{'+'.join(pool.queues)} depth",
                period=Duration.minutes(1),
            )
        threshold = self.cfg.queue_scale_out_depth
        scaling.scale_on_metric(
            "QueueDepth",
            metric=metric,
            scaling_steps=[
                appscaling.ScalingInterval(upper=0, change=-1),
                appscaling.ScalingInterval(lower=threshold, change=+1),
                appscaling.ScalingInterval(lower=threshold * 10, change=+3),
            ],
            adjustment_type=appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
            cooldown=Duration.minutes(3),
        )


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("-"))
