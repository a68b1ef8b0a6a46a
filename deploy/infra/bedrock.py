"""What the AI worker may do on Amazon Bedrock, and the role Bedrock's batch jobs run as.

The recommendations module (recommendations/ai) calls Converse through our cross-region
inference profile, counts tokens before sending (CountTokens, on the foundation model),
and submits large nightly runs as batch inference jobs whose JSONL lives in our bucket
under `recommendations/` (s3://<bucket>/recommendations/<schema>/run-<id>). Nothing else
of Bedrock is granted, and only the worker that consumes the `ai` queue gets it.
"""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from .config import APP_ROLE_PATH, EnvironmentConfig

INVOKE_ACTIONS = ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]
COUNT_TOKENS_ACTIONS = ["bedrock:CountTokens"]
BATCH_JOB_ACTIONS = ["bedrock:CreateModelInvocationJob", "bedrock:GetModelInvocationJob"]
# Where recommendations/ai/batch_inference.py writes a run's input and Bedrock its output.
BATCH_PREFIX = "recommendations/"


class BedrockAccess(Construct):
    """The batch service role, and `grant(role)` for the task role of the AI worker."""

    def __init__(self, scope: Construct, construct_id: str, *, cfg: EnvironmentConfig, bucket: s3.IBucket) -> None:
        super().__init__(scope, construct_id)
        self.cfg = cfg
        self.bucket = bucket
        job_arns = f"arn:aws:bedrock:{cfg.region}:{cfg.account}:model-invocation-job/*"
        # Bedrock assumes this role to read a job's input and write its output; the
        # conditions stop another account's (or another service's) jobs from using it.
        self.batch_role = iam.Role(
            self,
            "BatchJobRole",
            assumed_by=iam.ServicePrincipal(
                "bedrock.amazonaws.com",
                conditions={
                    "StringEquals": {"aws:SourceAccount": cfg.account},
                    "ArnEquals": {"aws:SourceArn": job_arns},
                },
            ),
            path=APP_ROLE_PATH,
            description=f"{cfg.prefix} Bedrock batch inference jobs (recommendations)",
        )
        bucket.grant_read_write(self.batch_role, f"{BATCH_PREFIX}*")
        self.batch_role.add_to_policy(iam.PolicyStatement(actions=["s3:ListBucket"], resources=[bucket.bucket_arn]))
        self._grant_invoke(self.batch_role)
        self.job_arns = job_arns

    @property
    def environment(self) -> dict[str, str]:
        """Settings the AI worker reads (finops/settings.py) to use Bedrock and batch jobs."""
        return {
            "RECOMMENDATIONS_PROVIDER": "bedrock",
            "BEDROCK_REGION": self.cfg.region,
            "BEDROCK_BATCH_BUCKET": self.bucket.bucket_name,
            "BEDROCK_BATCH_ROLE_ARN": self.batch_role.role_arn,
        }

    def grant(self, role: iam.Role) -> None:
        """Converse and CountTokens on the configured model; create and follow batch jobs."""
        self._grant_invoke(role)
        role.add_to_policy(
            iam.PolicyStatement(actions=COUNT_TOKENS_ACTIONS, resources=list(self.cfg.bedrock_foundation_model_arns))
        )
        # A batch job names the model (or the inference profile) it runs; creating one is
        # allowed only for ours, and only with our batch role.
        model_resources = [self.cfg.bedrock_inference_profile_arn or "", *self.cfg.bedrock_foundation_model_arns]
        role.add_to_policy(
            iam.PolicyStatement(
                actions=BATCH_JOB_ACTIONS, resources=[self.job_arns, *[r for r in model_resources if r]]
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["iam:PassRole"],
                resources=[self.batch_role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "bedrock.amazonaws.com"}},
            )
        )

    def _grant_invoke(self, role: iam.Role) -> None:
        cfg = self.cfg
        profile = cfg.bedrock_inference_profile_arn
        if profile is None:
            role.add_to_policy(
                iam.PolicyStatement(actions=INVOKE_ACTIONS, resources=list(cfg.bedrock_foundation_model_arns))
            )
            return
        role.add_to_policy(iam.PolicyStatement(actions=INVOKE_ACTIONS, resources=[profile]))
        # A cross-region profile forwards to the foundation model in one of its regions;
        # allow that only when the call came through our profile.
        role.add_to_policy(
            iam.PolicyStatement(
                actions=INVOKE_ACTIONS,
                resources=list(cfg.bedrock_foundation_model_arns),
                conditions={"StringEquals": {"bedrock:InferenceProfileArn": profile}},
            )
        )
