"""Reading synthesized CloudFormation templates: the stacks, and helpers the stack tests share."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

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
