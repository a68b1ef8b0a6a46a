"""Forms of the explorer app: naming a saved view (the rules themselves live in the services)."""

from __future__ import annotations

from django import forms


class SavedViewForm(forms.Form):
    name = forms.CharField(max_length=200, strip=False)
    query = forms.CharField(widget=forms.HiddenInput, required=False)


class SavedViewRenameForm(forms.Form):
    name = forms.CharField(max_length=200, strip=False)
