"""Per-environment settings: one frozen dataclass, instantiated once per environment.

Everything that differs between staging and production lives here, so the stack code has
no `if production:` branches beyond reading these fields. Values that depend on the real
AWS account (account id, hosted zone, domain, alarm e-mail) come from CDK context so that
`python deploy/app.py` synthesizes offline with harmless placeholders.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Placeholders used when no context is given; they are valid in shape so synthesis and
# cfn-lint work offline, and obviously fake so nobody deploys them by accident.
DEFAULT_CONTEXT: dict[str, str] = {
    "account": "111111111111",
    "region": "us-east-1",
    "domain": "finops.example.com",
    "hostedZoneId": "Z0123456789EXAMPLE",
    "hostedZoneName": "finops.example.com",
    "imageTag": "latest",
    "alarmEmail": "",
    "githubRepo": "example-org/finops",
    # A cross-region inference profile: Claude models on Bedrock are invoked through one.
    "bedrockModelId": "us.anthropic.claude-sonnet-4-6",
}

ECR_REPOSITORY_NAME = "finops"
APP_NAME = "finops"
# Customer accounts create their read-only role under this IAM path; our tasks may
# assume nothing else (see recommendations/costs integration docs).
CUSTOMER_ROLE_ARN_PATTERN = "arn:aws:iam::*:role/finops-readonly/*"
# Path given to every IAM role of the application stacks, so the deploy role can be
# allowed iam:PassRole on exactly these roles.
APP_ROLE_PATH = "/finops-app/"
METRIC_NAMESPACE = "FinOps"
QUEUE_DEPTH_METRIC = "QueueDepth"
OTEL_COLLECTOR_IMAGE = "public.ecr.aws/aws-observability/aws-otel-collector:v0.47.0"
# Regions a cross-region inference profile may route a request to, by its geography
# prefix. Add a geography here (from the Bedrock docs) before using its profiles.
INFERENCE_PROFILE_REGIONS = {"us": ("us-east-1", "us-east-2", "us-west-2")}


@dataclass(frozen=True)
class ServiceSize:
    """CPU units / MiB for one Fargate task and the bounds of its service."""

    cpu: int
    memory_mib: int
    min_count: int
    max_count: int


@dataclass(frozen=True)
class EnvironmentConfig:
    """Everything that differs between two deployments of the same stack class."""

    name: str  # "staging" | "production"
    account: str
    region: str
    domain: str  # apex of the site; organizations live at <slug>.<domain>
    hosted_zone_id: str
    hosted_zone_name: str
    image_tag: str
    bedrock_model_id: str
    alarm_email: str = ""

    # Network
    vpc_cidr: str = "10.0.0.0/16"
    # Named explicitly: letting CDK pick AZs needs a context lookup against AWS.
    az_suffixes: tuple[str, ...] = ("a", "b")
    nat_gateways: int = 1

    # Database (Aurora Serverless v2, ACUs)
    db_min_acu: float = 0.5
    db_max_acu: float = 4
    db_readers: int = 0
    db_backup_days: int = 7
    # Production keeps its data: deletion protection + DeletionPolicy Retain.
    protect_data: bool = False

    # Cache
    redis_node_type: str = "cache.t4g.micro"
    redis_replicas: int = 0

    # Compute
    web: ServiceSize = ServiceSize(cpu=512, memory_mib=1024, min_count=1, max_count=3)
    worker_ingest: ServiceSize = ServiceSize(cpu=1024, memory_mib=2048, min_count=1, max_count=3)
    worker_ai: ServiceSize = ServiceSize(cpu=512, memory_mib=1024, min_count=1, max_count=3)
    beat: ServiceSize = ServiceSize(cpu=256, memory_mib=512, min_count=1, max_count=1)
    migrate: ServiceSize = ServiceSize(cpu=512, memory_mib=1024, min_count=0, max_count=0)
    gunicorn_workers: int = 2
    web_requests_per_target: int = 200
    queue_scale_out_depth: int = 50

    # Observability
    log_retention_days: int = 30
    waf_rate_limit_per_5min: int = 2000
    alarm_queue_depth: int = 500

    tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def stack_name(self) -> str:
        return f"FinOps-{self.name.capitalize()}"

    @property
    def prefix(self) -> str:
        """Physical-name prefix, e.g. `finops-staging`."""
        return f"{APP_NAME}-{self.name}"

    @property
    def availability_zones(self) -> list[str]:
        return [f"{self.region}{suffix}" for suffix in self.az_suffixes]

    def __post_init__(self) -> None:
        if self.is_inference_profile:
            geography = self.bedrock_model_id.split(".", 1)[0]
            regions = INFERENCE_PROFILE_REGIONS.get(geography)
            if regions is None:
                raise ValueError(f"unknown regions for the {geography!r} inference profile")
            if self.region not in regions:
                raise ValueError(f"a {geography!r} inference profile is not callable from {self.region}")

    @property
    def is_inference_profile(self) -> bool:
        # Cross-region profiles are the model id prefixed by a geography ("us.", "eu.", ...).
        return self.bedrock_model_id.split(".", 1)[0] in {"us", "eu", "apac", "global"}

    @property
    def bedrock_foundation_model_id(self) -> str:
        if self.is_inference_profile:
            return self.bedrock_model_id.split(".", 1)[1]
        return self.bedrock_model_id

    @property
    def bedrock_inference_profile_arn(self) -> str | None:
        if not self.is_inference_profile:
            return None
        return f"arn:aws:bedrock:{self.region}:{self.account}:inference-profile/{self.bedrock_model_id}"

    @property
    def bedrock_foundation_model_arns(self) -> tuple[str, ...]:
        if self.is_inference_profile:
            regions = INFERENCE_PROFILE_REGIONS[self.bedrock_model_id.split(".", 1)[0]]
        else:
            regions = (self.region,)
        return tuple(f"arn:aws:bedrock:{r}::foundation-model/{self.bedrock_foundation_model_id}" for r in regions)


def _ctx(context: Mapping[str, Any], key: str) -> str:
    value = context.get(key)
    return str(value) if value not in (None, "") else DEFAULT_CONTEXT[key]


def environments(context: Mapping[str, Any]) -> list[EnvironmentConfig]:
    """Build the staging and production configs from CDK context (`-c key=value`)."""
    common = dict(
        account=_ctx(context, "account"),
        region=_ctx(context, "region"),
        hosted_zone_id=_ctx(context, "hostedZoneId"),
        hosted_zone_name=_ctx(context, "hostedZoneName"),
        image_tag=_ctx(context, "imageTag"),
        bedrock_model_id=_ctx(context, "bedrockModelId"),
        alarm_email=_ctx(context, "alarmEmail"),
    )
    domain = _ctx(context, "domain")
    staging = EnvironmentConfig(
        name="staging",
        domain=f"staging.{domain}",
        vpc_cidr="10.20.0.0/16",
        nat_gateways=1,
        db_min_acu=0.5,
        db_max_acu=4,
        db_readers=0,
        db_backup_days=3,
        protect_data=False,
        redis_node_type="cache.t4g.micro",
        redis_replicas=0,
        log_retention_days=14,
        tags={"environment": "staging"},
        **common,
    )
    production = EnvironmentConfig(
        name="production",
        domain=domain,
        vpc_cidr="10.10.0.0/16",
        nat_gateways=2,  # one per AZ: an AZ outage must not cut egress for the other
        db_min_acu=1,
        db_max_acu=16,
        db_readers=1,
        db_backup_days=30,
        protect_data=True,
        redis_node_type="cache.t4g.small",
        redis_replicas=1,
        web=ServiceSize(cpu=1024, memory_mib=2048, min_count=2, max_count=10),
        worker_ingest=ServiceSize(cpu=2048, memory_mib=4096, min_count=1, max_count=8),
        worker_ai=ServiceSize(cpu=512, memory_mib=1024, min_count=1, max_count=6),
        gunicorn_workers=4,
        log_retention_days=90,
        tags={"environment": "production"},
        **common,
    )
    return [staging, production]
