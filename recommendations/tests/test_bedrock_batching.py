"""Bedrock through the local server (real HTTP, real SigV4): batching, prompt caching, structured output, caching."""

from __future__ import annotations

import json

from django_tenants.utils import tenant_context

from recommendations.ai.prompt import ANSWER_SCHEMA, TOOL_NAME
from recommendations.models import AiCallLog, Recommendation, RecommendationRun
from recommendations.services.rationale import rationales_refresh
from recommendations.tests.crafted import stored


def converse_bodies(server):
    return server.converse_bodies()


def test_candidates_go_in_batches_with_a_cached_system_prompt_and_a_json_schema(org_a, bedrock, settings):
    settings.BEDROCK_BATCH_SIZE = 20
    with tenant_context(org_a.organization):
        run = stored(45)
        outcome = rationales_refresh(run=run)

        bodies = converse_bodies(bedrock)
        assert len(bodies) == 3  # 20 + 20 + 5
        sent = [json.loads(b["messages"][0]["content"][0]["text"].split("<candidates>")[1].split("</candidates>")[0])
                for b in bodies]  # fmt: skip
        assert sorted(len(s["candidates"]) for s in sent) == [5, 20, 20]
        for body in bodies:
            assert body["system"][-1] == {"cachePoint": {"type": "default"}}
            text_format = body["outputConfig"]["textFormat"]
            assert text_format["type"] == "json_schema"
            assert json.loads(text_format["structure"]["jsonSchema"]["schema"]) == ANSWER_SCHEMA
            assert "serviceTier" not in body  # a manual run: default tier
        assert outcome.written == 45 and outcome.pending == 0
        assert set(Recommendation.objects.values_list("rationale_source", flat=True)) == {"ai"}
        assert set(Recommendation.objects.values_list("rationale_model", flat=True)) == {settings.BEDROCK_MODEL_ID}

        calls = AiCallLog.objects.filter(run=run, operation="converse").order_by("created_at")
        assert [c.status for c in calls] == ["ok", "ok", "ok"]
        assert sorted(c.batch_size for c in calls) == [5, 20, 20]
        assert sum(1 for c in calls if c.cache_read_tokens > 0) >= 1  # the shared system prompt was served from cache
        assert all(c.request_id and c.input_tokens and c.output_tokens and c.estimated_cost > 0 for c in calls)
        counted = [r for r in bedrock.requests if r.path.endswith("/count-tokens")]
        assert len(counted) == 3
        assert counted[0].path == "/model/anthropic.claude-sonnet-4-6/count-tokens"  # the base model, not the profile
        assert all(
            r.headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=testing/") for r in bedrock.requests
        )


def test_unchanged_evidence_is_not_sent_again(org_a, bedrock):
    with tenant_context(org_a.organization):
        run = stored(12)
        rationales_refresh(run=run)
        sent_before = len(converse_bodies(bedrock))

        again = rationales_refresh(run=RecommendationRun.objects.create(trigger="nightly", provider="bedrock"))
        assert (again.written, again.cached) == (0, 12)
        assert len(converse_bodies(bedrock)) == sent_before

        changed = Recommendation.objects.order_by("pk")[0]
        changed.evidence_fingerprint = "f" * 64  # new evidence for one candidate
        changed.save()
        third = rationales_refresh(run=RecommendationRun.objects.create(trigger="nightly", provider="bedrock"))
        assert (third.written, third.cached) == (1, 11)
        assert len(converse_bodies(bedrock)) == sent_before + 1
        assert f'"id": "r{changed.pk}"' in converse_bodies(bedrock)[-1]["messages"][0]["content"][0]["text"]


def test_a_model_without_structured_output_answers_through_a_forced_tool(org_a, bedrock):
    bedrock.supports_output_config = False
    with tenant_context(org_a.organization):
        run = stored(5)
        outcome = rationales_refresh(run=run)
        bodies = converse_bodies(bedrock)
        assert "outputConfig" in bodies[0] and "toolConfig" not in bodies[0]
        assert bodies[-1]["toolConfig"]["toolChoice"] == {"tool": {"name": TOOL_NAME}}
        assert "outputConfig" not in bodies[-1]
        assert outcome.written == 5
        formats = list(AiCallLog.objects.filter(run=run, operation="converse").values_list("output_format", "status"))
        assert ("json_schema", "error") in formats and ("tool", "ok") in formats


def test_nightly_runs_ask_for_the_flex_tier_and_fall_back_where_the_model_lacks_it(org_a, bedrock):
    with tenant_context(org_a.organization):
        run = stored(3, trigger="nightly")
        rationales_refresh(run=run)
        assert converse_bodies(bedrock)[-1]["serviceTier"] == {"type": "flex"}
        assert AiCallLog.objects.filter(run=run, operation="converse", service_tier="flex", status="ok").exists()

        bedrock.reset()
        bedrock.supports_flex = False
        Recommendation.objects.update(rationale_fingerprint="")
        second = RecommendationRun.objects.create(trigger="nightly", provider="bedrock")
        outcome = rationales_refresh(run=second)
        assert outcome.written == 3 and outcome.service_tier == ""
        assert "serviceTier" not in converse_bodies(bedrock)[-1]
