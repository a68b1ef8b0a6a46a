"""manage.py create_org --slug acme --name "Acme" --owner-email a@acme.test [--owner-password ...]"""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from tenants.services.provisioning import organization_create
from tenants.services.users import user_create


class Command(BaseCommand):
    help = "Provision an organization exactly as sign-up does and print its URL."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--slug", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--owner-email", required=True)
        parser.add_argument("--owner-password", help="Only used when the owner account is new; generated if omitted.")

    def handle(self, *args: Any, **options: Any) -> None:
        email = options["owner_email"].strip().lower()
        user_model = get_user_model()
        generated = None
        try:
            with transaction.atomic():
                owner = user_model.objects.filter(email__iexact=email).first()
                if owner is None:
                    password = options["owner_password"] or secrets.token_urlsafe(12)
                    generated = None if options["owner_password"] else password
                    from django.contrib.auth.password_validation import validate_password

                    validate_password(password, user_model(username=email, email=email))
                    # The operator vouches for the address.
                    owner = user_create(email=email, password=password, verified=True)
                organization = organization_create(name=options["name"], slug=options["slug"], owner=owner)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(organization.url)
        if generated:
            self.stdout.write(f"owner password: {generated}")
