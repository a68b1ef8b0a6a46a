"""`manage.py generate_cur`: deterministic demo bills (CUR 2.0 Parquet or legacy CSV.gz) with manifests."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from costs.demo.generator import cur_generate


def _month(value: str) -> datetime.date:
    try:
        return datetime.datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        raise CommandError(f"--start must be YYYY-MM, got {value!r}") from None


class Command(BaseCommand):
    help = "Write realistic demo cost reports for a fictional company; prints a JSON summary."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--out", required=True, type=Path)
        parser.add_argument("--format", default="cur2", choices=["cur2", "cur-legacy", "cur_legacy"])
        parser.add_argument("--rows", type=int, default=None, help="about this many lines in total")
        parser.add_argument("--months", type=int, default=None, help="billing periods (default 1)")
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--start", default=None, help="first billing period YYYY-MM (default: ends this month)")
        parser.add_argument("--workloads", type=int, default=0, help="values of an extra `workload` tag (default none)")
        parser.add_argument("--until", default=None, help="last day with usage YYYY-MM-DD (default: whole months)")

    def handle(self, *args: Any, **options: Any) -> None:
        months = options["months"] or 1
        if months < 1 or (options["rows"] is not None and options["rows"] < 1):
            raise CommandError("--months and --rows must be positive")
        result = cur_generate(
            out=options["out"],
            format=options["format"],
            months=months,
            rows=options["rows"],
            seed=options["seed"],
            start=_month(options["start"]) if options["start"] else None,
            until=_day(options["until"]) if options["until"] else None,
            workloads=max(0, options["workloads"]),
        )
        self.stdout.write(json.dumps(result.as_json()))


def _day(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"--until must be YYYY-MM-DD, not {value!r}") from error
