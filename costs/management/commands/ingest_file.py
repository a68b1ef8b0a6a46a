"""`manage.py ingest_file --org <slug> <path>... [--format ...]`: one local delivery, synchronously."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import tenant_context

from costs.ingest.delivery import DeliveryFile
from costs.ingest.errors import IngestError
from costs.ingest.files import local_files
from costs.ingest.jobs import job_create, job_execute
from costs.ingest.manifests import looks_like_manifest, manifest_local_paths, manifest_parse
from costs.management.commands._org import organization_by_slug
from costs.models import CostSource, JobStatus, JobTrigger


def delivery_from_paths(paths: list[Path]) -> tuple[list[DeliveryFile], str, str]:
    """Report files, or one manifest whose listed files make the delivery -> (files, format hint, key)."""
    if len(paths) == 1 and paths[0].is_file():
        with paths[0].open("rb") as handle:
            head = handle.read(64)
        if looks_like_manifest(head):
            manifest = manifest_parse(paths[0].read_bytes(), name=paths[0].name)
            files = local_files(manifest_local_paths(manifest, directory=paths[0].parent))
            return files, manifest.format, manifest.assembly_id
    return local_files(paths), "auto", ""


class Command(BaseCommand):
    help = "Ingest local report files (or one manifest) into an organization as one delivery; prints a JSON line."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--org", required=True, help="organization slug")
        parser.add_argument("paths", nargs="+", type=Path)
        parser.add_argument("--format", default="auto", choices=["auto", "cur2", "cur-legacy", "cur_legacy", "focus"])
        parser.add_argument("--source", type=int, default=None, help="cost source id (default: the Uploads source)")

    def handle(self, *args: Any, **options: Any) -> None:
        organization = organization_by_slug(options["org"])
        with tenant_context(organization):
            source = CostSource.objects.get(pk=options["source"]) if options["source"] else CostSource.objects.uploads()
            try:
                files, hint, key = delivery_from_paths(options["paths"])
            except IngestError as exc:
                self.stdout.write(json.dumps({"status": "failed", "error": str(exc)}))
                raise CommandError(str(exc)) from exc
            fmt = options["format"] if options["format"] != "auto" else hint
            job = job_create(source=source, trigger=JobTrigger.CLI, files=[f.name for f in files])
            job = job_execute(job=job, files=files, format=fmt, delivery_key=key)
            if job.status != JobStatus.SUCCEEDED:
                self.stdout.write(json.dumps({"status": "failed", "job": job.pk, "error": job.error}))
                raise CommandError(job.error)
            summary = job.summary.as_json()  # type: ignore[attr-defined]
            self.stdout.write(json.dumps({"status": "succeeded", "job": job.pk, **summary}))
