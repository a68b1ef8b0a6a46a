"""Bedrock answers that go wrong: rejected entries retried once then plain; throttling, 5xx and timeouts
retried with jitter; the concurrency cap and the monthly token budget hold; no candidate is ever lost."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from finops.aws.bedrock_local import SERVER_ERROR, THROTTLE, UNAVAILABLE, Action
from recommendations.ai.bedrock_writer import backoff_delay
from recommendations.ai.limits import OrganizationSlots, SlotTimeout
from recommendations.models import AiCallLog, Recommendation, RecommendationRun
from recommendations.services.ai_logs import CallRecord, estimated_cost
from recommendations.services.rationale import rationales_refresh
from recommendations.tests.crafted import stored


def _ids_sent(body) -> list[str]:
    import json

    text = body["messages"][0]["content"][0]["text"]
    return [c["id"] for c in json.loads(text.split("<candidates>")[1].split("</candidates>")[0])["candidates"]]


def _sources() -> list[str]:
    return list(Recommendation.objects.order_by("pk").values_list("rationale_source", flat=True))


def test_hallucinated_and_missing_ids_are_asked_again_once(org_a, bedrock):
    bedrock.script.append(Action("hallucinate"))  # drops the first candidate, invents another id
    with tenant_context(org_a.organization):
        run = stored(3)
        outcome = rationales_refresh(run=run)

        bodies = bedrock.converse_bodies()
        assert len(bodies) == 2
        assert _ids_sent(bodies[1]) == _ids_sent(bodies[0])[:1]  # only the dropped one goes again
        assert outcome.written == 3 and _sources() == ["ai", "ai", "ai"]
        invalid = AiCallLog.objects.get(run=run, operation="converse", status="invalid")
        assert "missing from the answer" in invalid.error and "r999999999" in invalid.error
        assert AiCallLog.objects.get(run=run, operation="converse", status="ok").attempt == 2


def test_an_answer_that_contradicts_the_computed_savings_ends_as_plain_text(org_a, bedrock):
    bedrock.script.extend([Action("contradict"), Action("contradict")])
    with tenant_context(org_a.organization):
        run = stored(1)
        before = Recommendation.objects.get()
        rationales_refresh(run=run)

        after = Recommendation.objects.get()
        assert after.rationale_source == "plain"
        assert "987,654.32" not in after.rationale and after.monthly_savings == before.monthly_savings
        assert after.rationale_fingerprint == after.evidence_fingerprint  # settled: not asked a third time
        errors = list(AiCallLog.objects.filter(run=run, operation="converse").values_list("status", "error"))
        assert [status for status, _ in errors] == ["invalid", "invalid"]
        assert all("quotes $987654.32" in error for _, error in errors)


def test_malformed_json_is_retried_once(org_a, bedrock):
    bedrock.script.append(Action("malformed"))
    with tenant_context(org_a.organization):
        rationales_refresh(run=stored(4))
        assert _sources() == ["ai"] * 4
        assert len(bedrock.converse_bodies()) == 2
        assert AiCallLog.objects.filter(status="invalid", error__startswith="malformed answer").count() == 1


def test_throttling_and_server_errors_are_retried_until_an_answer_comes(org_a, bedrock, settings):
    settings.BEDROCK_RETRY_ATTEMPTS = 3
    # botocore makes up to 3 attempts per call: the first call fails on all three, ours retries,
    # and the second call gets through after one more 5xx.
    bedrock.script.extend([THROTTLE, THROTTLE, UNAVAILABLE, SERVER_ERROR])
    with tenant_context(org_a.organization):
        run = stored(2)
        outcome = rationales_refresh(run=run)
        assert outcome.written == 2 and outcome.pending == 0
        calls = list(AiCallLog.objects.filter(run=run, operation="converse").order_by("created_at"))
        assert [c.status for c in calls] == ["error", "ok"]
        assert "InternalServerException" in calls[0].error or "ServiceUnavailable" in calls[0].error
        assert calls[1].retries == 1
        assert len(bedrock.converse_bodies()) == 5


def test_a_timeout_is_retried(org_a, bedrock, settings):
    settings.BEDROCK_READ_TIMEOUT_SECONDS = 1
    bedrock.script.append(Action("delay", seconds=2.5))
    with tenant_context(org_a.organization):
        outcome = rationales_refresh(run=stored(2))
        assert outcome.written == 2
        assert len(bedrock.converse_bodies()) >= 2


def test_when_bedrock_stays_down_no_candidate_is_lost(org_a, bedrock, settings):
    settings.BEDROCK_RETRY_ATTEMPTS = 2
    bedrock.script.extend([UNAVAILABLE] * 6)  # 2 calls × 3 botocore attempts
    with tenant_context(org_a.organization):
        run = stored(3)
        outcome = rationales_refresh(run=run)
        assert (outcome.written, outcome.pending) == (0, 3)
        pending = list(Recommendation.objects.all())
        assert all(r.rationale and r.rationale_source == "plain" and r.rationale_fingerprint == "" for r in pending)

        later = rationales_refresh(run=RecommendationRun.objects.create(trigger="manual", provider="bedrock"))
        assert later.written == 3 and _sources() == ["ai"] * 3


def test_no_more_calls_in_flight_than_the_organizations_cap(org_a, bedrock, settings):
    settings.BEDROCK_ORGANIZATION_CONCURRENCY = 2
    settings.BEDROCK_BATCH_SIZE = 2
    # Each answer takes a second: the two threads' calls overlap, a third never joins them.
    bedrock.script.extend([Action("delay", seconds=1.0)] * 6)
    with tenant_context(org_a.organization):
        outcome = rationales_refresh(run=stored(12))
    assert outcome.written == 12
    assert bedrock.max_in_flight == 2


def test_slots_are_shared_by_every_worker_of_an_organization(settings):
    first = OrganizationSlots(schema="slots_test", cap=2)
    other_worker = OrganizationSlots(schema="slots_test", cap=2)
    elsewhere = OrganizationSlots(schema="another_org", cap=2)
    with first.slot(), other_worker.slot():
        assert first.in_flight() == 2
        with pytest.raises(SlotTimeout), first.slot(wait=0.2):
            pass
        with elsewhere.slot(wait=0.2):  # another organization has its own slots
            pass
    assert first.in_flight() == 0


def test_the_monthly_token_budget_stops_calls_and_leaves_the_rest_pending(org_a, bedrock, settings):
    settings.BEDROCK_BATCH_SIZE = 5
    settings.BEDROCK_MAX_OUTPUT_TOKENS = 2000
    settings.BEDROCK_ORGANIZATION_CONCURRENCY = 1
    with tenant_context(org_a.organization):
        # Last month's spending does not count; this month's does.
        AiCallLog.objects.create(
            provider="bedrock", operation="converse", status="ok", input_tokens=10**9,
            created_at=timezone.now() - datetime.timedelta(days=40),
        )  # fmt: skip
        AiCallLog.objects.create(provider="bedrock", operation="converse", status="ok", input_tokens=1000)
        settings.BEDROCK_MONTHLY_TOKEN_BUDGET = 1000 + 6000  # room for one batch (counted input + 2,000 output)
        run = stored(10)
        outcome = rationales_refresh(run=run)

        assert (outcome.written, outcome.pending) == (5, 5)
        skipped = AiCallLog.objects.get(run=run, status="skipped")
        assert "monthly token budget" in skipped.error
        assert len(bedrock.converse_bodies()) == 1

        settings.BEDROCK_MONTHLY_TOKEN_BUDGET = 10**7
        later = rationales_refresh(run=RecommendationRun.objects.create(trigger="manual", provider="bedrock"))
        assert later.written == 5 and set(_sources()) == {"ai"}


def test_backoff_is_jittered_and_grows():
    rng = random.Random(4)
    delays = [[backoff_delay(attempt, base=1.0, rng=rng) for _ in range(200)] for attempt in (1, 2, 3)]
    for attempt, values in enumerate(delays, start=1):
        assert min(values) >= 0 and max(values) <= 2 ** (attempt - 1)
        assert len({round(v, 6) for v in values}) > 150  # spread out, not one fixed delay
    assert sum(delays[2]) > sum(delays[0])


def test_estimated_cost_uses_list_prices_and_the_flex_and_batch_discounts(settings):
    record = CallRecord(
        operation="converse", model_id="m", status="ok", input_tokens=10_000, output_tokens=2_000,
        cache_read_tokens=50_000, cache_write_tokens=0,
    )  # fmt: skip
    # 10k × $3 + 2k × $15 + 50k × $0.30 per million = 0.03 + 0.03 + 0.015
    assert estimated_cost(record) == Decimal("0.07500000")
    assert estimated_cost(CallRecord(**{**record.__dict__, "service_tier": "flex"})) == Decimal("0.03750000")
    assert estimated_cost(CallRecord(**{**record.__dict__, "batch_inference": True})) == Decimal("0.03750000")
