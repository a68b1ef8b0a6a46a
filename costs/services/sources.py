"""Cost sources: linking an AWS payer account, testing the connection, account names.

We never hold customer access keys: every call goes through STS AssumeRole on the
customer's read-only role with this organization's ExternalId, and the temporary
credentials live only for the duration of one check.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from costs.models import CostSource, LinkedAccount, SourceKind
from costs.services.discovery import DiscoveryResult, deliveries_discover, export_root
from costs.services.source_validation import SourceError, role_arn_validate, source_settings_validate
from finops.aws import AwsCallError, Credentials
from finops.aws import organizations as aws_organizations
from finops.aws import s3 as aws_s3
from finops.aws import sts as aws_sts

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckOutcome:
    ok: bool
    message: str
    discovery: DiscoveryResult | None = None


def current_external_id() -> str:
    return str(connection.tenant.external_id)  # type: ignore[attr-defined]


def current_session_name() -> str:
    return aws_sts.session_name_for(connection.schema_name)  # type: ignore[attr-defined]


@transaction.atomic
def source_create(*, name: str, role_arn: str, bucket: str, prefix: str, export_name: str, format: str) -> CostSource:
    """Link an AWS payer account's export (kind aws_s3); raises SourceError (also for an export linked already).

    Nothing is called on AWS here.
    """
    valid = source_settings_validate(
        role_arn=role_arn, bucket=bucket, prefix=prefix, export_name=export_name, lock=True
    )
    return CostSource.objects.create(
        name=name.strip(),
        kind=SourceKind.AWS_S3,
        format=format,
        provider="AWS",
        role_arn=valid.role_arn,
        bucket=valid.bucket,
        prefix=valid.prefix,
        export_name=valid.export_name,
        payer_account_id=valid.payer_account_id,
    )


@transaction.atomic
def source_update(
    *,
    source: CostSource,
    name: str,
    role_arn: str,
    bucket: str,
    prefix: str,
    export_name: str,
    format: str,
    is_active: bool,
) -> CostSource:
    """Change a linked export's settings; the last check result no longer applies, so it is cleared."""
    if source.kind != SourceKind.AWS_S3:
        raise SourceError("Only AWS export sources can be edited.")
    valid = source_settings_validate(
        role_arn=role_arn, bucket=bucket, prefix=prefix, export_name=export_name, exclude=source, lock=True
    )
    source.payer_account_id = valid.payer_account_id
    source.name = name.strip()
    source.role_arn = valid.role_arn
    if valid.bucket != source.bucket:
        source.region = ""  # another bucket: its region is found again at the next check
    source.bucket = valid.bucket
    source.prefix = valid.prefix
    source.export_name = valid.export_name
    source.format = format
    source.is_active = is_active
    source.last_check_ok = None
    source.last_check_message = ""
    source.save()
    return source


def source_credentials(*, source: CostSource) -> Credentials:
    """Assume the source's role; raises AwsCallError."""
    return aws_sts.assume_role(
        role_arn=source.role_arn, external_id=current_external_id(), session_name=current_session_name()
    )


def role_credentials(*, source_id: int) -> Credentials:
    """Assume the role of source `source_id` (for reads beyond the bill); raises AwsCallError or DoesNotExist."""
    return source_credentials(source=CostSource.objects.get(pk=source_id))


def explain_assume_role_error(*, source: CostSource, error: AwsCallError) -> str:
    if error.code == "AccessDenied":
        # AWS deliberately answers the same for a missing role, an untrusted caller and a wrong
        # ExternalId, so all three possibilities are named.
        return (
            f"Could not assume role {source.role_arn}: AWS refused (AccessDenied). Either the role does not exist, "
            f"its trust policy does not trust our account {settings.FINOPS_AWS_ACCOUNT_ID}, or it requires a "
            f"different ExternalId than this organization's ({current_external_id()}). Deploy the CloudFormation "
            "template from this page, which sets all three."
        )
    if error.code in {"InvalidClientTokenId", "SignatureDoesNotMatch", "ExpiredToken"}:
        return f"Our own AWS credentials were rejected ({error.code}); this is on our side, please retry later."
    return f"Could not assume role {source.role_arn}: {error.code}: {error.message}"


def explain_s3_error(*, source: CostSource, error: AwsCallError, reading: str = "") -> str:
    where = f"s3://{source.bucket}/{export_root(source)}"
    if error.code == "NoSuchBucket":
        return f"Bucket {source.bucket} does not exist (or is in another partition). Check the bucket name."
    if error.code in {"AccessDenied", "403"}:
        if reading:
            return (
                f"The role can list {where} but may not read {reading} (s3:GetObject denied). "
                "The role's policy must allow s3:GetObject on the export prefix."
            )
        return (
            f"The role may not list {where} (s3:ListBucket denied). Check the bucket name and prefix, "
            "and that the role's policy allows s3:ListBucket on this bucket for this prefix."
        )
    if error.code == "FlexibleChecksumError":
        return (
            f"the file arrived corrupted every time: its bytes did not match the checksum S3 sent ({error.message}). "
            "Nothing of it was kept; the next check downloads it again."
        )
    if error.code in {"PermanentRedirect", "AuthorizationHeaderMalformed", "301"}:
        return (
            f"Bucket {source.bucket} answered from another region than {source.region or 'we expected'} and the "
            f"request could not be redirected ({error.code}: {error.message}). Allow s3:GetBucketLocation on the "
            "bucket in the role's policy (the CloudFormation template does), then test the connection again."
        )
    return f"S3 error on {where}: {error.code}: {error.message}"


def source_test_connection(*, source: CostSource) -> CheckOutcome:
    """Assume the role, list the export, read its manifests; stores and returns the outcome."""
    outcome = _check(source=source)
    source_check_record(source=source, ok=outcome.ok, message=outcome.message)
    return outcome


def _check(*, source: CostSource) -> CheckOutcome:
    if source.kind != SourceKind.AWS_S3:
        return CheckOutcome(ok=True, message="Nothing to connect to: this source receives uploaded files.")
    try:
        role_arn_validate(source.role_arn)
        credentials = source_credentials(source=source)
    except SourceError as error:
        return CheckOutcome(ok=False, message=str(error))
    except AwsCallError as error:
        return CheckOutcome(ok=False, message=explain_assume_role_error(source=source, error=error))
    return source_check_with(source=source, credentials=credentials)


def source_region_learn(*, source: CostSource, credentials: Credentials) -> None:
    """Find and store the bucket's region the first time (GetBucketLocation, else HeadBucket's header).

    When S3 will not say, the region stays unknown and calls rely on botocore's region redirect.
    """
    if source.region:
        return
    try:
        region = aws_s3.bucket_region(credentials=credentials, bucket=source.bucket)
    except AwsCallError as error:
        log.info("region of bucket %s unknown for source %s: %s", source.bucket, source.pk, error.code)
        return
    CostSource.objects.filter(pk=source.pk).update(region=region)
    source.region = region


def source_check_with(*, source: CostSource, credentials: Credentials) -> CheckOutcome:
    """The S3 half of a check, with credentials already obtained."""
    where = f"s3://{source.bucket}/{export_root(source)}"
    source_region_learn(source=source, credentials=credentials)
    try:
        found = deliveries_discover(source=source, credentials=credentials)
    except AwsCallError as error:
        reading = "the manifests" if error.operation == "s3:GetObject" else ""
        return CheckOutcome(ok=False, message=explain_s3_error(source=source, error=error, reading=reading))
    if found.objects_seen == 0:
        return CheckOutcome(
            ok=False,
            message=f"Connected, but there are no reports under {where} yet. AWS delivers the first export "
            "up to 24 hours after it is created; check the export name and prefix if it has been longer.",
            discovery=found,
        )
    if found.overdue:
        return CheckOutcome(ok=False, message=f"Connected to {where}, but {found.summary()}.", discovery=found)
    usable = found.ready + found.already_ingested
    if not usable and not found.incomplete:
        message = f"Connected, but no CUR or Data Exports manifest was found under {where}."
        if found.invalid:
            message += " Unreadable manifests: " + "; ".join(found.invalid)
        return CheckOutcome(ok=False, message=message, discovery=found)
    return CheckOutcome(ok=True, message=f"Connected to {where}: {found.summary()}.", discovery=found)


def source_check_record(*, source: CostSource, ok: bool, message: str) -> None:
    """Store a check's outcome on the source (its own short write; checks run outside transactions)."""
    CostSource.objects.filter(pk=source.pk).update(
        last_checked_at=timezone.now(), last_check_ok=ok, last_check_message=message[:5000]
    )
    source.refresh_from_db(fields=["last_checked_at", "last_check_ok", "last_check_message"])


def linked_account_names_refresh(*, source: CostSource, credentials: Credentials) -> int:
    """Name member accounts from AWS Organizations; returns how many names changed.

    The role may lack organizations:ListAccounts, or the payer may not use Organizations:
    either way names are a nicety, so the error is logged and skipped.
    """
    try:
        accounts = aws_organizations.list_accounts(credentials=credentials)
    except AwsCallError as error:
        log.info("account names unavailable for source %s: %s", source.pk, error.code)
        return 0
    changed = 0
    for account in accounts:
        if account.name:
            changed += (
                LinkedAccount.objects.filter(provider=source.provider, account_id=account.account_id)
                .exclude(name=account.name)
                .update(name=account.name)
            )
    return changed
