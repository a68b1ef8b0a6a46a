from __future__ import annotations

from django import forms

from recommendations.models import Category, Level, Status


class StatusForm(forms.Form):
    to_status = forms.ChoiceField(choices=Status.choices)
    reason = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    snoozed_until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))


STATUS_FILTERS = [("active", "Active (open, in progress)"), *Status.choices, ("all", "All")]


class FilterForm(forms.Form):
    category = forms.ChoiceField(required=False, choices=[("", "All categories"), *Category.choices])
    account = forms.ChoiceField(required=False, choices=[("", "All accounts")])
    status = forms.ChoiceField(required=False, choices=STATUS_FILTERS)
    effort = forms.ChoiceField(required=False, choices=[("", "Any effort"), *Level.choices])

    def __init__(self, *args: object, accounts: list[str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["account"].choices = [("", "All accounts"), *((a, a) for a in accounts)]  # type: ignore[attr-defined]
