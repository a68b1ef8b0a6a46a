"""Forms of the Accounts pages: linking an AWS export, uploading a bill."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from costs.models import CostSource, ReportFormat
from costs.services.source_validation import SourceError, source_settings_validate
from costs.services.uploads import UploadError, upload_validate
from finops.validators import validate_single_line_text

# Service field names -> this form's field names ("prefix" is the Form's own HTML-name prefix attribute).
FORM_FIELD = {"prefix": "export_prefix"}

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
    bucket = forms.CharField(max_length=300, label="S3 bucket")
    # Not "prefix": that name is the Form's own HTML-name prefix attribute.
    export_prefix = forms.CharField(
        max_length=1024, required=False, label="S3 prefix", help_text="Empty for the bucket root."
    )
    export_name = forms.CharField(
        max_length=255, label="Export or report name", help_text="The CUR report or Data Exports export name."
    )
    format = forms.ChoiceField(choices=FORMAT_CHOICES, initial=ReportFormat.AUTO)

    def __init__(self, *args: Any, source: CostSource | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.source = source

    def clean(self) -> dict[str, Any]:
        """The shared rules (costs.services.source_validation), each error shown beside its field."""
        data = super().clean() or {}
        if any(f not in data for f in ("role_arn", "bucket", "export_prefix", "export_name")):
            return data  # a required field is already in error
        try:
            valid = source_settings_validate(
                role_arn=data["role_arn"],
                bucket=data["bucket"],
                prefix=data["export_prefix"],
                export_name=data["export_name"],
                exclude=self.source,
            )
        except SourceError as error:
            self.add_source_error(error)
            return data
        data.update(
            role_arn=valid.role_arn, bucket=valid.bucket, export_prefix=valid.prefix, export_name=valid.export_name
        )
        return data

    def add_source_error(self, error: SourceError) -> None:
        """Show each problem of a SourceError beside the field it names."""
        for field, message in error.errors.items():
            self.add_error(FORM_FIELD.get(field, field) or None, message)

    def source_values(self) -> dict[str, Any]:
        """Cleaned data under the names the source services take."""
        values = dict(self.cleaned_data)
        values["prefix"] = values.pop("export_prefix")
        return values


class SourceEditForm(SourceForm):
    is_active = forms.BooleanField(required=False, initial=True, label="Check this source on schedule")


class DirectUploadForm(forms.Form):
    """The second half of a direct upload: the S3 key the browser posted the file to (checked, never trusted)."""

    key = forms.CharField(max_length=1024, widget=forms.HiddenInput)
    format = forms.ChoiceField(choices=FORMAT_CHOICES, initial=ReportFormat.AUTO)


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
