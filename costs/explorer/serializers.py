"""The API's shapes of the explorer app: saved views and FOCUS exports."""

from __future__ import annotations

from rest_framework import serializers

from costs.explorer.models import ExportFormat, ExportStatus, SavedView


class SavedViewSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    query = serializers.CharField(
        read_only=True, help_text="The explorer question in its URL format (pass it to /api/v1/costs/breakdown)."
    )
    created_by_id = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="The member who saved it; null when an API key saved it."
    )
    can_change = serializers.SerializerMethodField(help_text="Whether the caller may rename or delete it.")

    class Meta:
        model = SavedView
        fields = ["id", "name", "query", "created_by_id", "created_at", "updated_at", "can_change"]
        read_only_fields = fields

    def get_can_change(self, view: SavedView) -> bool:
        can_change = self.context.get("can_change")
        return bool(can_change(view)) if can_change is not None else False


class SavedViewCreateSerializer(serializers.Serializer):  # type: ignore[type-arg]
    name = serializers.CharField(
        max_length=200, help_text="Unique in the organization (case-insensitively), one line, no control characters."
    )
    query = serializers.CharField(
        max_length=4000,
        allow_blank=True,
        trim_whitespace=False,
        help_text="The explorer question in its URL format, e.g. range=last_30_days&group_by=service_name "
        "(as /api/v1/costs/breakdown takes it); stored in its stable form.",
    )


class SavedViewRenameSerializer(serializers.Serializer):  # type: ignore[type-arg]
    name = serializers.CharField(max_length=200, help_text="The new name (same rules as when saving).")


class FocusExportSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """`focus_export_state` (the Exports page's status), with the API's download URL."""

    id = serializers.IntegerField()
    billing_period = serializers.CharField(help_text="YYYY-MM.")
    format = serializers.ChoiceField(choices=ExportFormat.choices)
    status = serializers.ChoiceField(choices=ExportStatus.choices)
    status_label = serializers.CharField()
    active = serializers.BooleanField(help_text="Queued or running.")
    progress = serializers.FloatField(help_text="0..1, display only.")
    rows = serializers.IntegerField(help_text="Line items written so far.")
    rows_total = serializers.IntegerField(help_text="Line items of the period, once known (0 before).")
    file_name = serializers.CharField(allow_null=True, help_text="Once succeeded.")
    file_size = serializers.IntegerField(allow_null=True, help_text="Bytes, once succeeded.")
    download_url = serializers.CharField(
        allow_null=True, help_text="The API's download of the file (/api/v1/exports/{id}/download) once succeeded."
    )
    error = serializers.CharField(allow_blank=True, help_text="Why it failed; empty otherwise.")
    created_at = serializers.DateTimeField()
    duration_seconds = serializers.FloatField(allow_null=True)


class FocusExportCreateSerializer(serializers.Serializer):  # type: ignore[type-arg]
    billing_period = serializers.RegexField(
        r"^\d{4}-(0[1-9]|1[0-2])(-\d{2})?$",
        help_text="The billing period, YYYY-MM (or any day of it, YYYY-MM-DD); see /api/v1/exports/periods.",
    )
    format = serializers.ChoiceField(choices=ExportFormat.choices, default=ExportFormat.CSV)


class ExportPeriodsSerializer(serializers.Serializer):  # type: ignore[type-arg]
    periods = serializers.ListField(
        child=serializers.CharField(), help_text="YYYY-MM of every period a bill delivered, newest first."
    )
