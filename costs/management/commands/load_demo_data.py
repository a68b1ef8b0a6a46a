"""`manage.py load_demo_data --org <slug> [--months 4]`: generate and ingest demo bills (re-running replaces)."""

from __future__ import annotations

import datetime
import json
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import tenant_context

from costs.demo.generator import cur_generate
from costs.ingest.files import local_files
from costs.ingest.jobs import job_create, job_execute
from costs.ingest.manifests import manifest_local_paths, manifest_parse
from costs.management.commands._org import organization_by_slug
from costs.models import CostSource, JobStatus, JobTrigger, ReportFormat, SourceKind

DEMO_SOURCE = "Demo data (Northwind)"


class Command(BaseCommand):
    help = "Generate a few months of demo bills and ingest them into an organization (idempotent)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--org", required=True)
        # Four months: enough history for age-based findings (snapshots billed for over 90 days).
        parser.add_argument("--months", type=int, default=4)
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args: Any, **options: Any) -> None:
        organization = organization_by_slug(options["org"])
        with tempfile.TemporaryDirectory(prefix="finops-demo-") as tmp, tenant_context(organization):
            # One fixed source: re-running replaces its periods instead of adding a second copy.
            source, _ = CostSource.objects.get_or_create(
                name=DEMO_SOURCE, kind=SourceKind.UPLOAD, defaults={"format": ReportFormat.CUR2}
            )
            # Usage up to yesterday, as the latest real delivery would have it: no future costs.
            yesterday = datetime.date.today() - datetime.timedelta(days=1)
            result = cur_generate(
                out=Path(tmp), format="cur2", months=options["months"], seed=options["seed"], until=yesterday
            )
            done = []
            for period in result.periods:
                manifest = manifest_parse(period.manifest.read_bytes(), name=period.manifest.name)
                files = local_files(manifest_local_paths(manifest, directory=period.manifest.parent))
                job = job_create(source=source, trigger=JobTrigger.DEMO, files=[f.name for f in files])
                job = job_execute(job=job, files=files, format="cur2", delivery_key=manifest.assembly_id)
                if job.status != JobStatus.SUCCEEDED:
                    raise CommandError(f"demo period {period.period} failed: {job.error}")
                done.append({"period": period.period, "rows": job.rows, "job": job.pk})
        self.stdout.write(json.dumps({"organization": organization.slug, "periods": done}))
