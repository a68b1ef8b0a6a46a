"""What reaches the model: ids, figures and resource types of this organization only.

A real demo bill (account names, tags, cost centres) is ingested for one organization and a
second organization has its own findings; the bodies the local Bedrock received are searched for
anything that must never leave: account names, tag values, other organizations' resources,
organization names, user emails, ExternalIds and credentials.
"""

from __future__ import annotations

import json
import re

from django_tenants.utils import tenant_context

from costs.demo.catalog import ACCOUNTS, TAG_VALUES
from recommendations.models import Recommendation
from recommendations.services.runs import recommendations_run
from recommendations.tests.conftest import load_demo
from recommendations.tests.crafted import stored


def test_prompts_carry_no_secrets_names_tags_or_other_organizations_data(org_a, org_b, bedrock):
    with tenant_context(org_b.organization):
        stored(3, prefix="vol-globex-secret-")  # the other organization's findings
    load_demo(org_a)
    with tenant_context(org_a.organization):
        run = recommendations_run(trigger="manual")
        assert run.rationales_written > 0
        ours = list(Recommendation.objects.values_list("resource_id", flat=True))

    sent = json.dumps([r.body for r in bedrock.requests])
    forbidden = [
        *(name for _, name in ACCOUNTS),  # account names (payer and linked)
        *TAG_VALUES["cost_center"],
        "legacy-batch",
        "prj-",
        "vol-globex-secret-",
        org_a.organization.name,
        org_b.organization.name,
        org_a.owner.email,
        org_b.owner.email,
        str(org_a.organization.external_id),
        str(org_b.organization.external_id),
        "aws_secret_access_key",
        "SessionToken",
    ]
    leaked = [text for text in forbidden if text and text in sent]
    # Tag values must not appear as words; the shortest ("data", "web", "api") are too common to test.
    words = {value for key in ("team", "application") for value in TAG_VALUES[key] if len(value) > 5}
    leaked += [word for word in sorted(words) if re.search(rf"\b{re.escape(word)}\b", sent)]
    assert leaked == []
    # And what it did carry is this organization's own evidence.
    assert any(resource in sent for resource in ours)
    assert all("authorization" in r.headers and "testing" not in r.headers["authorization"].split("Signature=")[1]
               for r in bedrock.requests)  # fmt: skip
