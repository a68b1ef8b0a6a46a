"""The one validation of a linked export's settings, shared by the form, the services and the API.

Each rule lives here once: the role ARN (our IAM path), the bucket name, the prefix (an
`s3://bucket/prefix` pasted into either field is taken apart, or refused when it names
another bucket), the export name, and "this export is not linked already". Errors are
`SourceError`s naming the field they belong to, so a form can put them beside that field.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from dataclasses import dataclass

from django.conf import settings
from django.db import connection

from costs.models import CostSource, SourceKind
from finops.validators import control_character_in

ROLE_ARN = re.compile(
    r"^arn:aws[a-z-]*:iam::(?P<account>\d{12}):role(?P<path>/(?:[\w+=,.@-]+/)*)(?P<name>[\w+=,.@-]{1,64})$"
)
# S3's naming rules for general purpose buckets (3-63 characters).
BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
BUCKET_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
BUCKET_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
S3_URI = re.compile(r"^s3://(?P<bucket>[^/]*)(?:/(?P<path>.*))?$", re.IGNORECASE)


class SourceError(Exception):
    """Invalid source settings; the message is shown to the user.

    `errors` maps each setting at fault (role_arn, bucket, prefix, export_name; "" for none in
    particular) to what is wrong with it, so a form can show every problem beside its field.
    """

    def __init__(self, message: str, *, field: str = "", errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.errors = errors if errors is not None else {field: message}


@dataclass(frozen=True)
class SourceSettings:
    """A linked export's settings as stored: trimmed, the prefix without slashes at either end."""

    role_arn: str
    payer_account_id: str
    bucket: str
    prefix: str
    export_name: str

    @property
    def export_root(self) -> str:
        parts = [p for p in (self.prefix, self.export_name) if p]
        return "/".join(parts) + "/" if parts else ""


def role_arn_validate(role_arn: str) -> str:
    """The role's account id; raises SourceError saying what is wrong with the ARN."""
    match = ROLE_ARN.match(role_arn.strip())
    if not match:
        raise SourceError(
            "Role ARN must look like arn:aws:iam::123456789012:role/finops-readonly/FinOpsReadOnly "
            f"(got {role_arn.strip()[:200]!r}).",
            field="role_arn",
        )
    if match["path"] != settings.CUSTOMER_ROLE_PATH:
        raise SourceError(
            f"The role must be created under the IAM path {settings.CUSTOMER_ROLE_PATH} "
            f"(its ARN then reads …:role{settings.CUSTOMER_ROLE_PATH}{match['name']}); we may only assume roles there. "
            "The CloudFormation template does this for you.",
            field="role_arn",
        )
    return match["account"]


def bucket_validate(bucket: str) -> str:
    """A bucket name as S3 allows it; raises SourceError naming what is wrong."""
    if not BUCKET_NAME.match(bucket) or ".." in bucket or ".-" in bucket or "-." in bucket:
        raise SourceError(
            f"{bucket[:100]!r} is not a valid S3 bucket name (3-63 lowercase letters, digits, dots and hyphens, "
            "starting and ending with a letter or digit).",
            field="bucket",
        )
    try:
        ipaddress.ip_address(bucket)
    except ValueError:
        pass
    else:
        raise SourceError(f"{bucket!r} is an IP address, not an S3 bucket name.", field="bucket")
    if bucket.startswith(BUCKET_RESERVED_PREFIXES) or bucket.endswith(BUCKET_RESERVED_SUFFIXES):
        raise SourceError(f"{bucket!r} is not a bucket name S3 allows (reserved prefix or suffix).", field="bucket")
    return bucket


def _path_validate(value: str, *, field: str, label: str) -> str:
    character = control_character_in(value)
    if character is not None:
        raise SourceError(f"The {label} contains a control character (U+{ord(character):04X}).", field=field)
    if "*" in value or "?" in value:
        raise SourceError(f"The {label} cannot contain * or ?.", field=field)
    if "://" in value or value.lower().startswith("arn:"):
        raise SourceError(
            f"The {label} {value[:200]!r} looks like a URL or an ARN; enter only the folder path inside the bucket "
            "(for example cur/exports).",
            field=field,
        )
    return value


def source_location_normalize(*, bucket: str, prefix: str) -> tuple[str, str]:
    """(bucket, prefix) as stored: `s3://bucket/prefix` in either field is taken apart when unambiguous.

    'cur', '/cur/', 'cur/' -> 'cur'; 's3://acme/cur' in the prefix with bucket 'acme' -> 'cur';
    's3://acme/cur' in the bucket field with an empty prefix -> ('acme', 'cur'). Raises SourceError
    when the two fields disagree.
    """
    bucket, prefix = bucket.strip(), prefix.strip()
    bucket_uri = S3_URI.match(bucket)
    if bucket_uri:
        uri_bucket, uri_path = bucket_uri["bucket"], (bucket_uri["path"] or "").strip("/")
        if uri_path and prefix.strip("/") and uri_path != prefix.strip("/"):
            raise SourceError(
                f"The bucket field holds {bucket[:200]!r} and the prefix field {prefix[:200]!r}: enter the bucket "
                "name only (without s3://) and the folder path in the prefix field.",
                field="bucket",
            )
        bucket, prefix = uri_bucket, prefix or uri_path
    prefix_uri = S3_URI.match(prefix)
    if prefix_uri:
        if prefix_uri["bucket"] != bucket:
            raise SourceError(
                f"The prefix {prefix[:200]!r} names bucket {prefix_uri['bucket'][:100]!r}, but the bucket is "
                f"{bucket[:100]!r}. Enter only the folder path inside the bucket (for example cur).",
                field="prefix",
            )
        prefix = prefix_uri["path"] or ""
    bucket = bucket_validate(bucket)
    prefix = _path_validate(prefix.strip().strip("/"), field="prefix", label="prefix")
    if "//" in prefix:
        raise SourceError(f"The prefix {prefix[:200]!r} has an empty folder name (//).", field="prefix")
    return bucket, prefix


def export_name_validate(export_name: str) -> str:
    """The export (legacy CUR report) name: one path segment."""
    value = _path_validate(export_name.strip().strip("/"), field="export_name", label="export name")
    if not value:
        raise SourceError("Enter the export or report name.", field="export_name")
    if "/" in value:
        raise SourceError(
            "The export name has no slashes; put the folders before it in the prefix.", field="export_name"
        )
    return value


def _link_lock() -> None:
    # Two managers linking the same export at the same moment: the second waits, then sees the first.
    schema = connection.schema_name  # type: ignore[attr-defined]
    key = int.from_bytes(hashlib.blake2b(f"source-link:{schema}".encode(), digest_size=8).digest(), "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def source_duplicate_find(
    *, bucket: str, prefix: str, export_name: str, exclude: CostSource | None = None
) -> CostSource | None:
    """The AWS export source already linked to this bucket, prefix and export name, if any."""
    others = CostSource.objects.filter(kind=SourceKind.AWS_S3, bucket=bucket, prefix=prefix, export_name=export_name)
    if exclude is not None and exclude.pk is not None:
        others = others.exclude(pk=exclude.pk)
    return others.order_by("pk").first()


def source_settings_validate(
    *, role_arn: str, bucket: str, prefix: str, export_name: str, exclude: CostSource | None = None, lock: bool = False
) -> SourceSettings:
    """Every rule for a linked export's settings, including "not linked twice"; raises SourceError.

    With `lock` (inside the service's transaction) concurrent links of this organization are
    serialized, so two identical links cannot both pass the duplicate check.
    """
    errors: dict[str, str] = {}
    account, name = "", ""
    try:
        account = role_arn_validate(role_arn)
    except SourceError as error:
        errors.update(error.errors)
    try:
        bucket, prefix = source_location_normalize(bucket=bucket, prefix=prefix)
    except SourceError as error:
        errors.update(error.errors)
    try:
        name = export_name_validate(export_name)
    except SourceError as error:
        errors.update(error.errors)
    if errors:
        raise SourceError(" ".join(errors.values()), errors=errors)
    if lock:
        _link_lock()
    existing = source_duplicate_find(bucket=bucket, prefix=prefix, export_name=name, exclude=exclude)
    if existing is not None:
        where = SourceSettings(role_arn="", payer_account_id="", bucket=bucket, prefix=prefix, export_name=name)
        raise SourceError(
            f"s3://{bucket}/{where.export_root} is already linked as “{existing.name}” (source {existing.pk}). "
            "Linking it twice would count every cost twice; edit that source instead.",
            field="export_name",
        )
    return SourceSettings(
        role_arn=role_arn.strip(), payer_account_id=account, bucket=bucket, prefix=prefix, export_name=name
    )
