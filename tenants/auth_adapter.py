from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # People join by creating an organization (tenants.views_public.signup) or through
        # an invitation; allauth's bare sign-up page would create users with no organization.
        return False

    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        # allauth keys an account's failed-login counter by the request's host as well; one
        # account is the same on every organization's host, so the host is left out
        # (tenants/tests/test_account_guards.py fails if allauth stops calling this).
        login = str(credentials.get("email", credentials.get("username", ""))).lower()
        return f"account:{login}"
