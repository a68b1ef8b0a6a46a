"""One-time stack per account: GitHub OIDC provider, deploy role, ECR repository.

Deployed by hand once (see deploy/README.md); after that GitHub Actions on `main` assumes
the deploy role and needs no long-lived AWS keys.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Duration, Environment, RemovalPolicy, Stack
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from constructs import Construct

from .config import APP_NAME, APP_ROLE_PATH, ECR_REPOSITORY_NAME

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
# The default qualifier of `cdk bootstrap`; the deploy role only hops into those roles.
CDK_QUALIFIER = "hnb659fds"


class BootstrapStack(Stack):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        account: str,
        region: str,
        github_repo: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            scope,
            id,
            env=Environment(account=account, region=region),
            description="FinOps one-time bootstrap: GitHub OIDC deploy role and ECR repository",
            termination_protection=True,
            **kwargs,
        )
        self.repository = ecr.Repository(
            self,
            "Repository",
            repository_name=ECR_REPOSITORY_NAME,
            image_scan_on_push=True,
            image_tag_mutability=ecr.TagMutability.IMMUTABLE,
            encryption=ecr.RepositoryEncryption.AES_256,
            lifecycle_rules=[ecr.LifecycleRule(max_image_count=200)],
            removal_policy=RemovalPolicy.RETAIN,
        )

        # Native CloudFormation resource (no custom-resource Lambda to fetch thumbprints).
        provider = iam.OidcProviderNative(
            self,
            "GitHubOidc",
            url=f"https://{GITHUB_OIDC_HOST}",
            client_ids=["sts.amazonaws.com"],
        )
        self.deploy_role = iam.Role(
            self,
            "DeployRole",
            role_name=f"{APP_NAME}-github-deploy",
            description=f"Assumed by GitHub Actions on {github_repo}@main only",
            max_session_duration=Duration.hours(1),
            assumed_by=iam.WebIdentityPrincipal(
                provider.oidc_provider_arn,
                conditions={
                    "StringEquals": {
                        f"{GITHUB_OIDC_HOST}:aud": "sts.amazonaws.com",
                        # Only workflows running on the main branch of this repository.
                        f"{GITHUB_OIDC_HOST}:sub": f"repo:{github_repo}:ref:refs/heads/main",
                    }
                },
            ),
        )
        role = self.deploy_role
        # `cdk deploy` works by assuming the roles `cdk bootstrap` created.
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["sts:AssumeRole"],
                resources=[f"arn:aws:iam::{self.account}:role/cdk-{CDK_QUALIFIER}-*"],
            )
        )
        self.repository.grant_pull_push(role)  # includes GetAuthorizationToken on "*"
        # Lets a re-run skip pushing a tag that already exists (tags are immutable).
        self.repository.grant(role, "ecr:DescribeImages")
        # Read stack outputs (cluster, subnets, migrate task family).
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["cloudformation:DescribeStacks"],
                resources=[f"arn:aws:cloudformation:{self.region}:{self.account}:stack/FinOps-*/*"],
            )
        )
        # Run the migrate task with the new image before the services are updated: the
        # pipeline registers a copy of the migrate task definition with the new image tag.
        role.add_to_policy(
            # DescribeTaskDefinition accepts no resource ARN: "*" is the only valid value.
            iam.PolicyStatement(actions=["ecs:DescribeTaskDefinition"], resources=["*"])
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["ecs:RegisterTaskDefinition", "ecs:RunTask"],
                resources=[f"arn:aws:ecs:{self.region}:{self.account}:task-definition/{APP_NAME}-*-migrate:*"],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["ecs:DescribeTasks"],
                resources=[f"arn:aws:ecs:{self.region}:{self.account}:task/{APP_NAME}-*/*"],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["iam:PassRole"],
                resources=[f"arn:aws:iam::{self.account}:role{APP_ROLE_PATH}*"],
                conditions={"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["logs:GetLogEvents"],
                resources=[f"arn:aws:logs:{self.region}:{self.account}:log-group:/finops/*:log-stream:*"],
            )
        )

        CfnOutput(self, "DeployRoleArn", value=role.role_arn)
        CfnOutput(self, "RepositoryUri", value=self.repository.repository_uri)
