"""Fixtures for recommendations tests: a demo bill loaded into an organization."""

from __future__ import annotations

import os
from typing import Any

import pytest

# Worker processes started by tests inherit this: a run right after an ingestion, no debounce wait.
os.environ["RECOMMENDATIONS_DEBOUNCE_SECONDS"] = "0"

DEMO_MONTHS = "2"


def load_demo(world: Any) -> None:
    from django.core.management import call_command

    call_command("load_demo_data", "--org", world.organization.slug, "--months", DEMO_MONTHS, verbosity=0)


@pytest.fixture
def demo_bill(org_a: Any) -> Any:
    """org_a with two months of the demo company's bills ingested."""
    load_demo(org_a)
    return org_a
