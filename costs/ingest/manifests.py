"""Report manifests: legacy CUR (`reportKeys`, `assemblyId`) and CUR 2.0 (`dataFiles`, `executionId`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from costs.ingest.errors import IngestError


@dataclass(frozen=True)
class Manifest:
    name: str
    keys: list[str]  # object keys or s3:// URIs of the delivery's report files, as listed
    assembly_id: str
    format: str  # "cur_legacy" | "cur2"
    billing_period_start: str = ""


def looks_like_manifest(head: bytes) -> bool:
    return head.lstrip()[:1] == b"{"


def manifest_parse(data: bytes, *, name: str) -> Manifest:
    """Parse a manifest; a manifest without a file list is bad input naming the manifest."""
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IngestError(f"is not a valid JSON manifest ({exc})", file=name) from exc
    if not isinstance(document, dict):
        raise IngestError("is not a manifest (expected a JSON object)", file=name)
    if isinstance(document.get("dataFiles"), list):
        keys, fmt = document["dataFiles"], "cur2"
        assembly = document.get("executionId") or document.get("assemblyId") or ""
    elif isinstance(document.get("reportKeys"), list):
        keys, fmt = document["reportKeys"], "cur_legacy"
        assembly = document.get("assemblyId") or ""
    else:
        raise IngestError("is not a CUR manifest: it has neither reportKeys nor dataFiles", file=name)
    if not keys or not all(isinstance(k, str) and k for k in keys):
        raise IngestError("lists no report files", file=name)
    period = document.get("billingPeriod") or {}
    return Manifest(
        name=name,
        keys=list(keys),
        assembly_id=str(assembly),
        format=fmt,
        billing_period_start=str(period.get("start", "")) if isinstance(period, dict) else "",
    )


def key_path(key: str) -> PurePosixPath:
    """`s3://bucket/a/b.parquet` or `a/b.parquet` -> the object path without scheme and bucket."""
    if key.startswith("s3://"):
        return PurePosixPath(key[len("s3://") :].split("/", 1)[1] if "/" in key[len("s3://") :] else "")
    return PurePosixPath(key)


def manifest_local_paths(manifest: Manifest, *, directory: Path) -> list[Path]:
    """Where each listed file is on disk: the listed path under `directory`, or its name beside the manifest."""
    paths = []
    for key in manifest.keys:
        relative = key_path(key)
        candidates = [directory / relative, directory / relative.name]
        found = next((c for c in candidates if c.is_file()), None)
        if found is None:
            raise IngestError(f"lists {key}, which is missing", file=manifest.name)
        paths.append(found)
    return paths
