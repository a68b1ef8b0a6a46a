from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # People join by creating an organization (tenants.views_public.signup) or through
        # an invitation; allauth's bare sign-up page would create users with no organization.
        return False
