"""Shared-schema models: organizations (tenants), their hosts, memberships, invitations."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django_tenants.models import DomainMixin, TenantMixin

from finops.validators import validate_single_line_text


def new_external_id() -> str:
    # Customers paste this into their IAM role's trust policy; it must be unguessable and ours.
    return "finops-" + secrets.token_hex(16)


class Organization(TenantMixin):
    # Reaches email subjects, page titles, logs and exports: one line of plain text.
    name = models.CharField(max_length=100, validators=[validate_single_line_text])
    slug = models.SlugField(max_length=50, unique=True)
    default_currency = models.CharField(max_length=3, default="USD")
    time_zone = models.CharField(max_length=64, default="UTC")
    external_id = models.CharField(max_length=64, unique=True, default=new_external_id, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    # Schemas are created by tenants.services.provisioning (cloned from a template), never
    # implicitly on save.
    auto_create_schema = False
    auto_drop_schema = True

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_public(self) -> bool:
        return self.schema_name == "public"

    @property
    def url(self) -> str:
        return organization_url(self.slug)


def organization_host(slug: str) -> str:
    return f"{slug}.{settings.BASE_DOMAIN}"


def organization_url(slug: str, path: str = "/") -> str:
    port = f":{settings.PUBLIC_PORT}" if settings.PUBLIC_PORT else ""
    return f"{settings.SITE_SCHEME}://{organization_host(slug)}{port}{path}"


def public_url(path: str = "/") -> str:
    port = f":{settings.PUBLIC_PORT}" if settings.PUBLIC_PORT else ""
    return f"{settings.SITE_SCHEME}://{settings.BASE_DOMAIN}{port}{path}"


class Domain(DomainMixin):
    pass


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    MEMBER = "member", "Member"
    VIEWER = "viewer", "Viewer"


# Roles that may manage members and settings.
MANAGER_ROLES = frozenset({Role.OWNER, Role.ADMIN})


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "organization"], name="one_membership_per_user_org")]
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.user} in {self.organization} ({self.role})"

    @property
    def can_manage(self) -> bool:
        return self.role in MANAGER_ROLES


class Invitation(models.Model):
    """An invitation to join an organization. The link carries a signed token; we keep only its hash."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation of {self.email} to {self.organization}"

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None


class SignupRequest(models.Model):
    """A sign-up waiting for its email link: no account or organization exists until the link is used.

    The link carries a random token; we keep only its hash. The password is kept hashed, exactly
    as it will be on the account.
    """

    token_hash = models.CharField(max_length=64, unique=True)
    email = models.EmailField()
    organization_name = models.CharField(max_length=100, validators=[validate_single_line_text])
    slug = models.SlugField(max_length=50)
    password_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Sign-up request for {self.slug}"


class LoginHandoff(models.Model):
    """A single-use, short-lived ticket that carries a sign-in from one host to another.

    Cookies do not cross *.localhost subdomains, so after sign-up on the public site the
    browser is sent to the organization's host with this ticket, which signs it in there.
    """

    token_hash = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Sign-in hand-off for {self.user_id} to {self.organization_id}"


class ApiKeyScope(models.TextChoices):
    READ = "read", "Read"
    READ_WRITE = "read-write", "Read and write"


class ApiKey(models.Model):
    """A key for the integration API: belongs to exactly one organization, works on its host only.

    The secret (`fo_<prefix>_<random>`) is shown once at creation; we keep its SHA-256 (the
    secret carries 256 random bits, so a plain hash is enough and lookups stay cheap) and the
    visible prefix, which finds the row before the hash is compared in constant time.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="api_keys")
    # Shown on the keys page and in logs: one line of plain text.
    name = models.CharField(max_length=100, validators=[validate_single_line_text])
    scope = models.CharField(max_length=10, choices=ApiKeyScope.choices, default=ApiKeyScope.READ)
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"API key {self.prefix} ({self.name}) of {self.organization_id}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def can_write(self) -> bool:
        return self.scope == ApiKeyScope.READ_WRITE
