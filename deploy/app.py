#!/usr/bin/env python3
"""CDK app: the staging and production stacks plus the one-time bootstrap stack.

Runs without the cdk CLI (`python deploy/app.py`, see deploy/synth.sh) and with it
(`cd deploy && npx cdk deploy ...`, which reads deploy/cdk.json). Context keys, all with
offline-safe defaults (see infra/config.py): account, region, domain, hostedZoneId,
hostedZoneName, imageTag, alarmEmail, githubRepo, bedrockModelId.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import aws_cdk as cdk

sys.path.insert(0, str(Path(__file__).resolve().parent))

from infra.bootstrap import BootstrapStack  # noqa: E402
from infra.config import DEFAULT_CONTEXT, environments  # noqa: E402
from infra.stack import FinOpsStack  # noqa: E402

# Feature flags live here rather than in cdk.json so `python app.py` without the CLI
# synthesizes exactly what `cdk deploy` deploys.
FEATURE_FLAGS: dict[str, object] = {
    "@aws-cdk/aws-iam:minimizePolicies": True,
    "@aws-cdk/core:enablePartitionLiterals": True,
    "@aws-cdk/aws-ecs:arnFormatIncludesClusterName": True,
    "@aws-cdk/aws-rds:databaseProxyUniqueResourceName": True,
    "@aws-cdk/aws-ecs:removeDefaultDeploymentAlarm": True,
}


def build_app(context: dict[str, object] | None = None, outdir: str | None = None) -> cdk.App:
    """Build the app with every stack; tests call this with their own context."""
    app = cdk.App(
        context={**FEATURE_FLAGS, **(context or {})},
        outdir=outdir or os.environ.get("CDK_OUTDIR"),
    )
    raw = {key: app.node.try_get_context(key) for key in DEFAULT_CONTEXT}
    configs = environments(raw)
    for cfg in configs:
        FinOpsStack(app, cfg)
    # Both environments share one account here (the context has a single `account`);
    # the bootstrap stack holds what they share: the deploy role and the image repository.
    BootstrapStack(
        app,
        "FinOps-Bootstrap",
        account=configs[0].account,
        region=configs[0].region,
        github_repo=str(raw["githubRepo"] or DEFAULT_CONTEXT["githubRepo"]),
    )
    return app


if __name__ == "__main__":
    build_app().synth()
