"""Forms of the monitoring pages (free text goes through the shared single-line validator in the models)."""

from __future__ import annotations

from typing import Any

from django import forms

from costs.monitoring.models import AlertSubscription, Budget, Monitor, Verdict


def _percent_list(text: str) -> list[int]:
    values = []
    for part in text.replace(" ", "").split(","):
        if not part:
            continue
        if not part.isdigit() or not 1 <= int(part) <= 1000:
            raise forms.ValidationError(f"{part!r} is not a percentage between 1 and 1000.")
        values.append(int(part))
    return sorted(set(values))


class MonitorForm(forms.ModelForm):
    class Meta:
        model = Monitor
        fields = ["name", "dimension", "tag_key", "cost_basis", "usage_only", "min_impact_amount", "min_impact_percent"]


class BudgetForm(forms.ModelForm):
    actual_thresholds_text = forms.CharField(label="Alert at actual (% of amount)", initial="80, 100", required=False)
    forecast_thresholds_text = forms.CharField(label="Alert at forecast (% of amount)", initial="100", required=False)

    class Meta:
        model = Budget
        fields = ["name", "scope", "scope_value", "tag_key", "amount", "currency", "cost_basis"]

    def clean_actual_thresholds_text(self) -> list[int]:
        return _percent_list(self.cleaned_data["actual_thresholds_text"])

    def clean_forecast_thresholds_text(self) -> list[int]:
        return _percent_list(self.cleaned_data["forecast_thresholds_text"])

    def budget_fields(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        data["actual_thresholds"] = self.cleaned_data["actual_thresholds_text"]
        data["forecast_thresholds"] = self.cleaned_data["forecast_thresholds_text"]
        return data


class SubscriptionForm(forms.ModelForm):
    slack_webhook_url = forms.URLField(required=False, max_length=500, assume_scheme="https", label="Slack webhook URL")

    class Meta:
        model = AlertSubscription
        fields = ["channel", "slack_webhook_url", "frequency", "min_severity", "anomalies", "budgets"]


class FeedbackForm(forms.Form):
    verdict = forms.ChoiceField(choices=Verdict.choices)
    note = forms.CharField(max_length=500, required=False)
