"""`make bench ONLY=ai_batching`: model calls and tokens per candidate when rationale is batched.

500 generated candidates go to the local Bedrock server (finops/aws/bedrock_local.py, real HTTP and
SigV4) through the product's own writer, three times, each in its own organization state:
- batched (BEDROCK_BATCH_SIZE, 20): model calls, input and output tokens per candidate;
- the same again with nothing changed: model calls (the evidence fingerprint cache; target 0);
- baseline, measured in this run: one candidate per call (unbatched), on a fresh set.
Token counts come from the local server's stand-in tokenizer (about four characters a token), so
compare them with each other, not with a real Claude bill. Progress goes to stderr.
"""

from __future__ import annotations

import datetime
import os
import random
import sys
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Sum
from django_tenants.utils import tenant_context

CANDIDATES = int(os.environ.get("BENCH_AI_CANDIDATES", "500"))
SLUG = "bench-ai"
START = datetime.date(2026, 1, 1)
END = datetime.date(2026, 1, 30)


def _log(message: str) -> None:
    print(f"[bench ai_batching] {message}", file=sys.stderr, flush=True)


def candidates_generate(count: int, *, seed: int = 11, salt: str = "") -> list[Any]:
    """Varied, realistic candidates (the shapes the detectors produce), deterministic for a seed."""
    from recommendations.detectors.base import Candidate, Evidence

    rng = random.Random(seed)
    kinds = [
        ("ec2_modernize", "compute", "EC2 instance m5.large", "i-", "BoxUsage:m5.large"),
        ("ebs_gp2_to_gp3", "storage", "EBS volume gp2", "vol-", "EBS:VolumeUsage.gp2"),
        ("s3_intelligent_tiering", "storage", "S3 bucket (Standard)", "bucket-", "TimedStorage-ByteHrs"),
        ("eip_idle", "network", "Elastic IP address", "eipalloc-", "ElasticIP:IdleAddress"),
        ("ebs_old_snapshots", "storage", "EBS snapshot", "snap-", "EBS:SnapshotUsage"),
    ]
    made = []
    for number in range(count):
        detector, category, resource_type, prefix, usage_type = kinds[number % len(kinds)]
        cost = Decimal(rng.randint(500, 90_000)) / 100
        savings = (cost * Decimal(rng.choice(["0.2", "0.456", "1"]))).quantize(Decimal("0.01"))
        resource = f"{prefix}{salt}{number:08x}"
        made.append(
            Candidate(
                detector=detector,
                category=category,
                title=f"{detector.replace('_', ' ').capitalize()}: {resource}",
                account_id=f"3100000000{number % 5:02d}",
                region=rng.choice(["us-east-1", "us-west-2", "eu-west-1"]),
                resource_id=resource,
                resource_type=resource_type,
                currency="USD",
                monthly_cost=cost,
                monthly_savings=savings,
                method=f"${cost} a month now over 30 days of the bill; the change saves ${savings} a month.",
                confidence=rng.choice(["high", "medium", "low"]),
                effort="low",
                window_start=START,
                window_end=END,
                facts={"days_observed": "30", "monthly_cost": f"${cost}"},
                evidence=(
                    Evidence(
                        label="Usage",
                        resource_id=resource,
                        usage_type=usage_type,
                        period_start=START,
                        period_end=END,
                        quantity=Decimal(rng.randint(1, 800)),
                        unit="Hrs",
                        effective_cost=cost * Decimal("0.986"),
                    ),
                ),
            )
        )
    return made


def _organization() -> Any:
    from django.contrib.auth import get_user_model

    from tenants.models import Organization
    from tenants.services.provisioning import organization_create, organization_delete

    for old in Organization.objects.filter(slug=SLUG):
        organization_delete(organization=old)
    user, _ = get_user_model().objects.get_or_create(username="bench-ai@example.com", email="bench-ai@example.com")
    return organization_create(name="Bench AI", slug=SLUG, owner=user)


def _pass(*, salt: str, label: str) -> dict[str, int]:
    """Store fresh candidates (or refresh the same ones) and write their rationale; what it cost."""
    from recommendations.models import AiCallLog, RecommendationRun
    from recommendations.services.rationale import rationales_refresh
    from recommendations.services.store import candidates_store

    run = RecommendationRun.objects.create(trigger="manual", provider="bedrock")
    candidates_store(run=run, candidates=candidates_generate(CANDIDATES, salt=salt))
    outcome = rationales_refresh(run=run)
    calls = AiCallLog.objects.filter(run=run, operation="converse")
    sums = calls.aggregate(
        i=Sum("input_tokens"), o=Sum("output_tokens"), r=Sum("cache_read_tokens"), w=Sum("cache_write_tokens")
    )
    figures = {
        "calls": calls.count(),
        "written": outcome.written,
        "cached": outcome.cached,
        "input": int(sums["i"] or 0) + int(sums["r"] or 0) + int(sums["w"] or 0),
        "output": int(sums["o"] or 0),
    }
    _log(f"{label}: {figures}")
    return figures


def run() -> list[dict[str, Any]]:
    from finops.aws import bedrock as bedrock_client
    from finops.aws.bedrock_local import LocalBedrock
    from tenants.services.provisioning import organization_delete

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    server = LocalBedrock().start()
    settings.BEDROCK_ENDPOINT_URL = server.url
    settings.RECOMMENDATIONS_PROVIDER = "bedrock"
    settings.BEDROCK_MONTHLY_TOKEN_BUDGET = 10**10
    bedrock_client._cached_client.cache_clear()
    organization = _organization()
    size = settings.BEDROCK_BATCH_SIZE
    try:
        with tenant_context(organization):
            _log(f"{CANDIDATES} candidates, batches of {size}")
            first = _pass(salt="a", label="batched, first run")
            second = _pass(salt="a", label="batched, nothing changed")
            settings.BEDROCK_BATCH_SIZE = 1
            baseline = _pass(salt="b", label="unbatched baseline")
    finally:
        settings.BEDROCK_BATCH_SIZE = size
        server.stop()
        organization_delete(organization=organization)
    if first["written"] != CANDIDATES or baseline["written"] != CANDIDATES:
        raise RuntimeError(f"not every candidate got a rationale: {first} / {baseline}")

    def figure(name: str, value: float, unit: str, base: float) -> dict[str, Any]:
        return {
            "bench": f"ai_batching_{name}",
            "value": round(value, 3),
            "unit": unit,
            "baseline": round(base, 3),
            "ratio": round(value / base, 4) if base else None,
        }

    return [
        figure("calls_first_run", first["calls"], "calls", baseline["calls"]),
        figure("input_tokens_per_candidate", first["input"] / CANDIDATES, "tokens", baseline["input"] / CANDIDATES),
        figure("output_tokens_per_candidate", first["output"] / CANDIDATES, "tokens", baseline["output"] / CANDIDATES),
        figure("calls_second_run", second["calls"], "calls", baseline["calls"]),
    ]
