"""Forms of the Accounts pages: linking an AWS export, uploading a bill."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from costs.models import ReportFormat
from costs.services.sources import SourceError, role_arn_validate
from costs.services.uploads import UploadError, upload_validate
from finops.validators import validate_single_line_text

BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")

FORMAT_CHOICES = [
    (ReportFormat.AUTO, "Detect automatically"),
    (ReportFormat.CUR2, "CUR 2.0 (Data Exports, Parquet)"),
    (ReportFormat.CUR_LEGACY, "Legacy CUR (CSV.gz or Parquet)"),
    (ReportFormat.FOCUS, "FOCUS 1.x (Data Exports)"),
]


class SourceForm(forms.Form):
    name = forms.CharField(
        max_length=200,
        initial="AWS payer account",
        help_text="Shown in lists and charts.",
        validators=[validate_single_line_text],
    )
    role_arn = forms.CharField(
        max_length=300,
        label="Role ARN",
        help_text=f"The RoleArn output of the CloudFormation stack; the role must be under {settings.CUSTOMER_ROLE_PATH}.",
        widget=forms.TextInput(attrs={"placeholder": "arn:aws:iam::123456789012:role/finops-readonly/FinOpsReadOnly"}),
    )
    bucket = forms.CharField(max_length=63, label="S3 bucket")
    # Not "prefix": that name is the Form's own HTML-name prefix attribute.
    export_prefix = forms.CharField(
        max_length=1024, required=False, label="S3 prefix", help_text="Empty for the bucket root."
    )
    export_name = forms.CharField(
        max_length=255, label="Export or report name", help_text="The CUR report or Data Exports export name."
    )
    format = forms.ChoiceField(choices=FORMAT_CHOICES, initial=ReportFormat.AUTO)

    def clean_role_arn(self) -> str:
        value = self.cleaned_data["role_arn"].strip()
        try:
            role_arn_validate(value)
        except SourceError as error:
            raise ValidationError(str(error)) from error
        return value

    def clean_bucket(self) -> str:
        value = self.cleaned_data["bucket"].strip()
        if value.startswith("s3://"):
            raise ValidationError("Enter the bucket name only, without s3:// (the prefix goes in its own field).")
        if not BUCKET_NAME.match(value) or ".." in value:
            raise ValidationError(
                f"{value!r} is not a valid S3 bucket name (3-63 lowercase letters, digits, dots and hyphens)."
            )
        return value

    def clean_export_prefix(self) -> str:
        value = self.cleaned_data["export_prefix"].strip()
        if "*" in value or "?" in value:
            raise ValidationError("The prefix cannot contain * or ?.")
        return value.strip("/")

    def source_values(self) -> dict[str, Any]:
        """Cleaned data under the names the source services take."""
        values = dict(self.cleaned_data)
        values["prefix"] = values.pop("export_prefix")
        return values

    def clean_export_name(self) -> str:
        value = self.cleaned_data["export_name"].strip().strip("/")
        if "/" in value:
            raise ValidationError("The export name has no slashes; put the folders before it in the prefix.")
        return value


class SourceEditForm(SourceForm):
    is_active = forms.BooleanField(required=False, initial=True, label="Check this source on schedule")


class UploadForm(forms.Form):
    file = forms.FileField(
        help_text="A CUR (legacy or 2.0) or FOCUS export: .csv, .csv.gz or .parquet.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.gz,.parquet"}),
    )
    format = forms.ChoiceField(choices=FORMAT_CHOICES, initial=ReportFormat.AUTO)

    def clean_file(self) -> Any:
        file = self.cleaned_data["file"]
        try:
            upload_validate(name=file.name or "", size=file.size)
        except UploadError as error:
            raise ValidationError(str(error)) from error
        return file
