"""The per-environment configuration, without synthesizing anything."""

from __future__ import annotations

import pytest
from infra.compute import WORKER_POOLS
from infra.config import DEFAULT_CONTEXT, environments

from finops.queues import Queue

pytestmark = pytest.mark.xdist_group("cdk-synth")


def test_staging_lives_under_the_production_domain() -> None:
    staging, production = environments({"domain": "example.net"})
    assert production.domain == "example.net"
    assert staging.domain == "staging.example.net"
    assert (staging.stack_name, production.stack_name) == ("FinOps-Staging", "FinOps-Production")


def test_only_production_protects_its_data() -> None:
    staging, production = environments({})
    assert production.protect_data and not staging.protect_data
    assert production.db_max_acu > staging.db_max_acu


def test_missing_context_falls_back_to_offline_placeholders() -> None:
    staging, _ = environments({"account": None, "region": ""})
    assert staging.account == DEFAULT_CONTEXT["account"]
    assert staging.region == DEFAULT_CONTEXT["region"]


def test_a_plain_model_id_grants_that_model_in_the_stack_region_only() -> None:
    staging, _ = environments({"bedrockModelId": "anthropic.claude-3-haiku-20240307-v1:0", "region": "eu-west-1"})
    assert staging.bedrock_inference_profile_arn is None
    assert staging.bedrock_foundation_model_arns == (
        "arn:aws:bedrock:eu-west-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
    )


def test_an_inference_profile_grants_the_profile_and_its_routed_models() -> None:
    staging, _ = environments({"bedrockModelId": "us.anthropic.claude-sonnet-4-6", "account": "123456789012"})
    assert staging.bedrock_inference_profile_arn == (
        "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-6"
    )
    assert {arn.split(":")[3] for arn in staging.bedrock_foundation_model_arns} == {
        "us-east-1",
        "us-east-2",
        "us-west-2",
    }


def test_an_inference_profile_outside_its_geography_is_refused() -> None:
    with pytest.raises(ValueError, match="not callable from eu-west-1"):
        environments({"bedrockModelId": "us.anthropic.claude-sonnet-4-6", "region": "eu-west-1"})


def test_unsupported_log_retention_fails_at_synthesis() -> None:
    from infra.data import retention_days

    with pytest.raises(ValueError, match="unsupported log retention"):
        retention_days(42)


def test_every_celery_queue_is_consumed_by_exactly_one_worker_pool() -> None:
    # The CDK app does not import the Django project, so its pools name the queues as strings.
    consumed = [queue for pool in WORKER_POOLS for queue in pool.queues]
    assert sorted(consumed) == sorted(queue.value for queue in Queue)
