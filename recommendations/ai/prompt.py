"""The Converse request for one batch of candidates: a shared, cached system prompt; structured output.

The system prompt is identical for every batch of every organization, so Bedrock's prompt cache
(a `cachePoint` after it) serves it after the first call. The user message carries only the
candidates' briefs (ids, figures, resource types). The answer is constrained by a JSON schema,
through `outputConfig.textFormat` or, for models without it, a forced tool call.
"""

from __future__ import annotations

import json
from typing import Any

from recommendations.ai.types import LEVELS, STEP_KINDS, CandidateBrief

TOOL_NAME = "record_rationales"

ANSWER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "recommendations": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "id": {"type": "string", "description": "the candidate id, exactly as given"},
                    "priority": {"type": "string", "enum": list(LEVELS)},
                    "rationale": {"type": "string", "description": "why, in 2-4 sentences, for a FinOps lead"},
                    "risk": {"type": "string", "description": "what could go wrong and how to avoid it"},
                    "effort": {"type": "string", "enum": list(LEVELS)},
                    "steps": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "kind": {"type": "string", "enum": list(STEP_KINDS)},
                                "text": {"type": "string"},
                            },
                            "required": ["kind", "text"],
                            "additionalProperties": False,
                        },
                    },
                },
                "required": ["id", "priority", "rationale", "risk", "effort", "steps"],
                "additionalProperties": False,
            },
        }
    },
    "required": ["recommendations"],
    "additionalProperties": False,
}

KINDS = {
    "ec2_idle": "an always-on EC2 instance with almost no network traffic (or low CPU when CloudWatch was readable)",
    "ec2_modernize": "an EC2 instance whose type has a cheaper current-generation or Graviton equivalent",
    "ebs_gp2_to_gp3": "an EBS gp2 volume; gp3 is cheaper per GB with 3,000 IOPS and 125 MiB/s included",
    "ebs_unattached": "an EBS volume attached to no instance",
    "ebs_old_snapshots": "an EBS snapshot billed for longer than the organization's age limit",
    "s3_intelligent_tiering": "a large S3 bucket in Standard that Intelligent-Tiering would make cheaper",
    "elb_idle": "a load balancer that processed (almost) nothing",
    "eip_idle": "an Elastic IP address billed as idle (associated with nothing running)",
    "nat_gateway_endpoint": "NAT gateway data processing that a free S3/DynamoDB gateway endpoint would avoid",
    "rds_previous_generation": "an RDS instance on a previous-generation class",
    "rds_idle": "an RDS instance with no connections",
    "rds_gp2": "RDS gp2 storage where gp3 is cheaper",
    "savings_plan_purchase": "steady on-demand compute not covered by a commitment; a Compute Savings Plan",
    "commitment_low_utilization": "a Reserved Instance or Savings Plan partly unused",
    "cloudwatch_logs_retention": "a CloudWatch Logs group whose stored data only grows (no retention)",
}

SYSTEM_PROMPT = (
    """You are the FinOps analyst inside a cloud cost management product. Engineers and FinOps leads \
read what you write next to savings that our code has already computed from their AWS bill.

Your job, for every candidate you receive: decide its priority, explain it, name its risk, judge the \
effort, and give concrete steps to carry it out.

Rules (an answer that breaks one is rejected):
1. The savings figure, the monthly cost and every other number were computed by code from the bill \
and public price lists. Never compute, estimate, round differently or restate a different amount. \
You may quote an amount only exactly as it appears in the candidate (monthly_savings, monthly_cost, \
how_savings_were_computed or facts), written as $1234.56. Do not invent percentages either.
2. Answer for every candidate id you were given, exactly once, using the id exactly as given, and for \
no other id.
3. Use only what the candidate says. If it names data that would confirm it ("would_confirm"), say \
that the recommendation depends on it and how to check; do not claim certainty the evidence lacks.
4. Steps are concrete: AWS console navigation, AWS CLI commands with the real resource ids and region \
from the candidate, or an infrastructure-as-code snippet (Terraform or CloudFormation). Prefer \
reversible first steps (snapshot, stop, tag) before destructive ones. Use placeholders in angle \
brackets for anything the candidate does not give (a VPC id, a route table).
5. Priority: high when the saving is large for the effort and the confidence is high or medium; low \
when the saving is small or the confidence is low; medium otherwise. Effort: low for a setting or a \
single command, medium for a change that needs a restart, testing or a rebuild, high for a migration.
6. Rationale: two to four sentences for a busy reader: what is wasteful, why the change saves money, \
what to check first. Risk: one or two sentences on what could break and how to avoid it.
7. Output only the JSON object the schema describes: {"recommendations": [ ... ]}.

What the candidate kinds mean:
"""
    + "\n".join(f"- {kind}: {meaning}" for kind, meaning in KINDS.items())
    + """

Each candidate has: id, kind, category, title, resource_type, resource_id, account_id (an AWS account \
number), region, currency, monthly_cost (what the affected resources cost per month now), \
monthly_savings (the computed saving per month), how_savings_were_computed (the calculation with its \
figures), confidence (high, medium or low: how sure the detector is), would_confirm (data that would \
confirm it, empty when the bill suffices) and facts (the detector's figures).

The JSON schema of your answer:
"""
    + json.dumps(ANSWER_SCHEMA, indent=1)
)


def user_message(briefs: list[CandidateBrief]) -> str:
    payload = json.dumps({"candidates": [brief.as_prompt() for brief in briefs]}, indent=1)
    return (
        f"Write the rationale for these {len(briefs)} candidates, one entry per id.\n"
        f"<candidates>\n{payload}\n</candidates>"
    )


def converse_request(
    briefs: list[CandidateBrief], *, output_format: str, max_tokens: int, service_tier: str = ""
) -> dict[str, Any]:
    """The Converse body (without modelId) for one batch; output_format is "json_schema" or "tool"."""
    request: dict[str, Any] = {
        "system": [{"text": SYSTEM_PROMPT}, {"cachePoint": {"type": "default"}}],
        "messages": [{"role": "user", "content": [{"text": user_message(briefs)}]}],
        "inferenceConfig": {"maxTokens": max_tokens, "temperature": 0.2},
    }
    if output_format == "json_schema":
        request["outputConfig"] = {
            "textFormat": {
                "type": "json_schema",
                "structure": {
                    "jsonSchema": {
                        "name": "recommendation_rationales",
                        "description": "Rationale, risk, effort and steps per candidate id",
                        "schema": json.dumps(ANSWER_SCHEMA),
                    }
                },
            }
        }
    else:
        request["toolConfig"] = {
            "tools": [
                {
                    "toolSpec": {
                        "name": TOOL_NAME,
                        "description": "Record the rationale, risk, effort and steps for every candidate id.",
                        "inputSchema": {"json": ANSWER_SCHEMA},
                    }
                }
            ],
            "toolChoice": {"tool": {"name": TOOL_NAME}},
        }
    if service_tier:
        request["serviceTier"] = {"type": service_tier}
    return request


def base_model_id(model_id: str) -> str:
    """CountTokens takes a model id, not a cross-region inference profile: `us.anthropic.x` -> `anthropic.x`."""
    prefix, _, rest = model_id.partition(".")
    return rest if prefix in {"us", "eu", "apac", "jp", "au", "ca", "global", "us-gov"} and rest else model_id
