"""`manage.py cost_totals --org <slug> [--period YYYY-MM]`: the reconciliation figures, as JSON.

Amounts are fixed-point text; a basis the export does not carry is null ("not in this export"), never 0.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import tenant_context

from costs.management.commands._org import organization_by_slug
from costs.selectors import BASES, cost_totals


class Command(BaseCommand):
    help = f"Print totals per billing period, currency, charge category and cost basis ({', '.join(BASES)}) as JSON."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--org", required=True, help="organization slug")
        parser.add_argument("--period", default=None, help="billing period YYYY-MM (default: all)")

    def handle(self, *args: Any, **options: Any) -> None:
        period = options["period"]
        if period is not None and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", period):
            raise CommandError(f"--period must be YYYY-MM, got {period!r}")
        with tenant_context(organization_by_slug(options["org"])):
            rows = cost_totals(period=period)
        self.stdout.write(json.dumps({"totals": rows}, default=_json_value))


def _json_value(value: Any) -> str:
    # Amounts are exact decimals: printed as fixed-point text, never through float.
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)
