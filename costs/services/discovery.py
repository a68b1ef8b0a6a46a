"""Finding complete, not-yet-ingested deliveries of a source's export by reading its manifests.

AWS writes a delivery's data files first and its manifest last, so a manifest whose files
are not all present yet belongs to a delivery still being written: it is skipped for now
(reported, not failed) until DELIVERY_FILES_OVERDUE_HOURS after the manifest was written;
then it is overdue, a problem that names the missing keys (a file that never arrives, or a
manifest copied from another bucket or prefix that lists keys which are not here). A delivery is identified by its assembly/execution id plus the
ETags of its files, so a restatement (new id or new content) is ingested again and an
unchanged one is not.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.utils import timezone

from costs.cloudformation import normalize_prefix
from costs.models import CostSource, Delivery, ReportFormat
from finops.aws import Credentials
from finops.aws import s3 as aws_s3

# Legacy CUR: <prefix>/<name>/<yyyymmdd-yyyymmdd>/<name>-Manifest.json (the period's latest manifest).
LEGACY_MANIFEST = re.compile(r"^(?P<base>.*?)(?P<start>\d{8})-(?P<end>\d{8})/(?P<file>[^/]+)-Manifest\.json$")
# CUR 2.0 / FOCUS via Data Exports: <prefix>/<name>/metadata/BILLING_PERIOD=YYYY-MM/[<version>/]…Manifest.json
EXPORTS_MANIFEST = re.compile(
    r"^(?P<base>.*?)metadata/BILLING_PERIOD=(?P<period>\d{4}-\d{2})/(?:[^/]+/)?[^/]*Manifest\.json$"
)


class ManifestError(Exception):
    """A manifest we cannot use; the message names the manifest key and what is wrong."""


@dataclass(frozen=True)
class DeliveryCandidate:
    billing_period: date
    manifest_key: str
    assembly_id: str
    keys: list[str]
    format: str
    sizes: dict[str, int] = field(default_factory=dict)
    etags: dict[str, str] = field(default_factory=dict)

    @property
    def delivery_key(self) -> str:
        # Same id and same file contents -> same key; AWS restating the period changes both.
        digest = hashlib.sha256("\n".join(f"{k}:{self.etags.get(k, '')}" for k in sorted(self.keys)).encode())
        return f"{self.billing_period:%Y-%m}/{self.assembly_id[:150]}/{digest.hexdigest()[:16]}"

    @property
    def bytes_total(self) -> int:
        return sum(self.sizes.get(k, 0) for k in self.keys)


# How many missing keys a message names before it says "and N more".
MISSING_KEYS_NAMED = 5


@dataclass(frozen=True)
class IncompleteDelivery:
    billing_period: date
    manifest_key: str
    missing: list[str]
    manifest_written: datetime | None = None
    overdue: bool = False
    # Missing keys outside the export root: the manifest was copied from another bucket or prefix.
    outside_root: list[str] = field(default_factory=list)

    def problem(self, *, root_uri: str, now: datetime) -> str:
        """What is wrong with an overdue delivery, naming the missing keys."""
        hours = int((now - self.manifest_written).total_seconds() // 3600) if self.manifest_written else 0
        named = ", ".join(self.missing[:MISSING_KEYS_NAMED])
        more = len(self.missing) - MISSING_KEYS_NAMED
        text = (
            f"{self.billing_period:%Y-%m}: the manifest {self.manifest_key} was written {hours} hours ago, but "
            f"{len(self.missing)} of the files it lists {'is' if len(self.missing) == 1 else 'are'} still missing: {named}"
            + (f" and {more} more" if more > 0 else "")
        )
        if self.outside_root:
            text += (
                f" ({len(self.outside_root)} of them outside {root_uri}: the manifest seems copied from another "
                "bucket or prefix; its files must be at the keys it lists)"
            )
        return text


@dataclass
class DiscoveryResult:
    ready: list[DeliveryCandidate] = field(default_factory=list)
    already_ingested: list[DeliveryCandidate] = field(default_factory=list)
    incomplete: list[IncompleteDelivery] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    objects_seen: int = 0
    root_uri: str = ""
    checked_at: datetime = field(default_factory=timezone.now)

    @property
    def overdue(self) -> list[IncompleteDelivery]:
        return [i for i in self.incomplete if i.overdue]

    def summary(self) -> str:
        parts = [
            f"{len(self.ready)} new deliver{'y' if len(self.ready) == 1 else 'ies'}",
            f"{len(self.already_ingested)} already ingested",
        ]
        pending = [i for i in self.incomplete if not i.overdue]
        if pending:
            listed = ", ".join(
                f"{i.billing_period:%Y-%m} ({len(i.missing)} file{'s' if len(i.missing) != 1 else ''} not yet written)"
                for i in pending
            )
            parts.append(f"still being written, skipped for now: {listed}")
        if self.overdue:
            problems = "; ".join(i.problem(root_uri=self.root_uri, now=self.checked_at) for i in self.overdue)
            parts.append(f"files missing for more than {settings.DELIVERY_FILES_OVERDUE_HOURS} hours: {problems}")
        if self.invalid:
            parts.append("unreadable manifests: " + "; ".join(self.invalid))
        return "; ".join(parts)


def export_root(source: CostSource) -> str:
    """The key prefix that holds the export: '<prefix>/<export name>/'."""
    parts = [p for p in (normalize_prefix(source.prefix), source.export_name.strip().strip("/")) if p]
    return "/".join(parts) + "/" if parts else ""


def _s3_key(uri_or_key: str, bucket: str) -> str:
    if uri_or_key.startswith("s3://"):
        without = uri_or_key[len("s3://") :]
        found_bucket, _, key = without.partition("/")
        if found_bucket != bucket:
            raise ManifestError(f"lists {uri_or_key}, which is outside bucket {bucket}")
        return key
    return uri_or_key.lstrip("/")


def _format_of(source: CostSource, manifest: dict[str, object], legacy: bool) -> str:
    if source.format != ReportFormat.AUTO:
        return source.format
    if legacy:
        return ReportFormat.CUR_LEGACY
    text = json.dumps(manifest.get("exportType") or manifest.get("exportName") or manifest.get("dataQuery") or "")
    return ReportFormat.FOCUS if "FOCUS" in text.upper() else ReportFormat.CUR2


def manifest_parse(*, source: CostSource, key: str, body: bytes) -> DeliveryCandidate:
    """A delivery described by the manifest at `key`; raises ManifestError naming the key."""
    try:
        manifest = json.loads(body)
    except ValueError as error:
        raise ManifestError(f"{key}: not valid JSON ({error})") from error
    if not isinstance(manifest, dict):
        raise ManifestError(f"{key}: expected a JSON object")
    legacy_match = LEGACY_MANIFEST.match(key)
    exports_match = EXPORTS_MANIFEST.match(key)
    try:
        if exports_match:
            period = date.fromisoformat(exports_match["period"] + "-01")
            raw_files = manifest.get("dataFiles")
            if not isinstance(raw_files, list) or not raw_files:
                raise ManifestError(f"{key}: has no 'dataFiles' list")
            assembly = str(manifest.get("executionId") or manifest.get("assemblyId") or "")
            keys = [_s3_key(str(f), source.bucket) for f in raw_files]
            fmt = _format_of(source, manifest, legacy=False)
        elif legacy_match:
            period = date(int(legacy_match["start"][:4]), int(legacy_match["start"][4:6]), 1)
            raw_keys = manifest.get("reportKeys")
            if not isinstance(raw_keys, list) or not raw_keys:
                raise ManifestError(f"{key}: has no 'reportKeys' list")
            assembly = str(manifest.get("assemblyId") or "")
            keys = [_s3_key(str(k), source.bucket) for k in raw_keys]
            fmt = _format_of(source, manifest, legacy=True)
        else:
            raise ManifestError(f"{key}: not where a CUR or Data Exports manifest lives")
    except ManifestError as error:
        if str(error).startswith(key):
            raise
        raise ManifestError(f"{key}: {error}") from error
    except ValueError as error:
        raise ManifestError(f"{key}: bad billing period in path ({error})") from error
    return DeliveryCandidate(billing_period=period, manifest_key=key, assembly_id=assembly, keys=keys, format=fmt)


def _is_period_manifest(key: str, root: str) -> bool:
    rest = key[len(root) :]
    if EXPORTS_MANIFEST.match(rest):
        return True
    # Legacy CUR also writes a copy per assembly (<period>/<assemblyId>/…Manifest.json);
    # only the period-level one is current, so deeper copies are ignored.
    match = LEGACY_MANIFEST.match(rest)
    return match is not None and match["base"] == ""


def deliveries_discover(
    *, source: CostSource, credentials: Credentials | None, now: datetime | None = None
) -> DiscoveryResult:
    """List the export, read every period's newest manifest, sort deliveries into ready/incomplete/done.

    An incomplete delivery is overdue when its manifest was written more than
    DELIVERY_FILES_OVERDUE_HOURS before `now` (default: the current time).
    """
    root = export_root(source)
    now = now or timezone.now()
    objects = aws_s3.list_objects(credentials=credentials, bucket=source.bucket, prefix=root, region=source.region)
    listing = {o.key: o for o in objects}
    result = DiscoveryResult(objects_seen=len(objects), root_uri=f"s3://{source.bucket}/{root}", checked_at=now)
    overdue_after = timedelta(hours=settings.DELIVERY_FILES_OVERDUE_HOURS)

    newest: dict[date, tuple[aws_s3.S3Object, DeliveryCandidate]] = {}
    for obj in sorted(objects, key=lambda o: o.last_modified):
        if not obj.key.endswith("Manifest.json") or not _is_period_manifest(obj.key, root):
            continue
        body = aws_s3.read_object(credentials=credentials, bucket=source.bucket, key=obj.key, region=source.region)
        try:
            candidate = manifest_parse(source=source, key=obj.key, body=body)
        except ManifestError as error:
            result.invalid.append(str(error))
            continue
        # Versioned exports keep old manifests beside new ones; the latest written wins.
        newest[candidate.billing_period] = (obj, candidate)

    for period in sorted(newest):
        manifest, candidate = newest[period]
        missing = [k for k in candidate.keys if k not in listing]
        if missing:
            result.incomplete.append(
                IncompleteDelivery(
                    period,
                    candidate.manifest_key,
                    missing,
                    manifest_written=manifest.last_modified,
                    overdue=now - manifest.last_modified > overdue_after,
                    outside_root=[k for k in missing if not k.startswith(root)],
                )
            )
            continue
        complete = DeliveryCandidate(
            billing_period=candidate.billing_period,
            manifest_key=candidate.manifest_key,
            assembly_id=candidate.assembly_id,
            keys=candidate.keys,
            format=candidate.format,
            sizes={k: listing[k].size for k in candidate.keys},
            etags={k: listing[k].etag for k in candidate.keys},
        )
        if Delivery.objects.filter(source=source, delivery_key=complete.delivery_key).exists():
            result.already_ingested.append(complete)
        else:
            result.ready.append(complete)
    return result
