"""Synthesize the CDK app once per test session and hand out the templates.

Synthesis runs node through jsii and takes a few seconds, so every test reads the same
cloud assembly. The test modules put themselves in one xdist group, so under `pytest -n`
the synthesis still happens once, on one worker.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

import pytest

DEPLOY_DIR = Path(__file__).resolve().parent.parent
if str(DEPLOY_DIR) not in sys.path:
    sys.path.insert(0, str(DEPLOY_DIR))
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")

# Distinct from the defaults, so a test cannot pass by reading a hard-coded default.
CONTEXT = {
    "account": "123456789012",
    "region": "us-west-2",
    "domain": "costs.example.org",
    "hostedZoneId": "Z0TESTZONE12345",
    "hostedZoneName": "costs.example.org",
    "imageTag": "abc1234",
    "githubRepo": "acme/finops-app",
    "bedrockModelId": "us.anthropic.claude-sonnet-4-6",
    "alarmEmail": "oncall@example.org",
}


def _load_app_module() -> Any:
    spec = importlib.util.spec_from_file_location("finops_cdk_app", DEPLOY_DIR / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def assembly(tmp_path_factory: pytest.TempPathFactory) -> Any:
    app_module = _load_app_module()
    outdir = tmp_path_factory.mktemp("cdk.out")
    app = app_module.build_app(context=dict(CONTEXT), outdir=str(outdir))
    return app.synth()


@pytest.fixture(scope="session")
def templates(assembly: Any) -> dict[str, dict[str, Any]]:
    """Stack name → template as a plain dict."""
    return {stack.stack_name: stack.template for stack in assembly.stacks}


@pytest.fixture(scope="session")
def configs() -> dict[str, Any]:
    from infra.config import environments

    return {cfg.name: cfg for cfg in environments(CONTEXT)}
