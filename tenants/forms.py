from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError

from finops.validators import validate_single_line_text
from tenants.models import ApiKeyScope, Organization, Role
from tenants.slugs import validate_slug


def organization_name_field() -> forms.CharField:
    return forms.CharField(max_length=100, label="Organization name", validators=[validate_single_line_text])


def email_field(**kwargs: Any) -> forms.EmailField:
    # Django's EmailValidator lets quoted local parts carry control characters (ESC, NUL…).
    return forms.EmailField(validators=[validate_single_line_text], **kwargs)


class SignupForm(forms.Form):
    organization_name = organization_name_field()
    slug = forms.CharField(
        max_length=50,
        label="Address",
        help_text="Becomes your organization's subdomain: lowercase letters, digits and hyphens.",
    )
    email = email_field(label="Work email")
    password = forms.CharField(widget=forms.PasswordInput, label="Password", help_text="At least 12 characters.")

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"].strip().lower()
        validate_slug(slug)
        if Organization.objects.filter(slug=slug).exists():
            raise ValidationError("This address is already taken.")
        return slug

    def clean_email(self) -> str:
        # Whether the address has an account is never said here (tenants/services/signup.py).
        return str(self.cleaned_data["email"]).strip().lower()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        password = cleaned.get("password")
        if password:
            user = get_user_model()(username=cleaned.get("email", ""), email=cleaned.get("email", ""))
            try:
                password_validation.validate_password(password, user)
            except ValidationError as error:
                self.add_error("password", error)
        return cleaned


class NewOrganizationForm(forms.Form):
    """Sign-up for someone already signed in: no account fields."""

    organization_name = organization_name_field()
    slug = forms.CharField(max_length=50, label="Address")
    clean_slug = SignupForm.clean_slug


class InviteForm(forms.Form):
    email = email_field()
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER)


class ApiKeyForm(forms.Form):
    # Shown on the keys page and in logs: one line of plain text (validated on the model too).
    name = forms.CharField(max_length=100, validators=[validate_single_line_text])
    scope = forms.ChoiceField(choices=ApiKeyScope.choices, initial=ApiKeyScope.READ)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


def _time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


class OrganizationSettingsForm(forms.ModelForm):
    time_zone = forms.ChoiceField(choices=_time_zone_choices)
    default_currency = forms.RegexField(
        regex=r"^[A-Z]{3}$", error_messages={"invalid": "Use a 3-letter ISO 4217 code, e.g. USD."}
    )

    class Meta:
        model = Organization
        fields = ["name", "default_currency", "time_zone"]


class DeleteOrganizationForm(forms.Form):
    confirm = forms.CharField(label="Type the organization's address to confirm")

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organization = organization

    def clean_confirm(self) -> str:
        value = self.cleaned_data["confirm"].strip()
        if value != self.organization.slug:
            raise ValidationError(f"Type {self.organization.slug} exactly to delete this organization.")
        return value


class AcceptInvitationNewUserForm(forms.Form):
    password = forms.CharField(widget=forms.PasswordInput, help_text="At least 12 characters.")

    def __init__(self, *args: Any, email: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        password_validation.validate_password(password, get_user_model()(username=self.email, email=self.email))
        return password
