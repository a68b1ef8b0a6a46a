"""django-allauth, adapted: no bare sign-up, global login counters, emailed links from the configured site."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from tenants.models import public_url

# allauth's sign-up page is closed: wherever its mails offer to sign up, ours is linked instead.
_SIGNUP_LINK = "signup_url"
_URL = re.compile(r"""https?://[^\s"'<>]+""")


@dataclass(frozen=True)
class ConfiguredSite:
    """What allauth's mail templates call `current_site`, from settings instead of the request's Host."""

    name: str
    domain: str


def configured_site() -> ConfiguredSite:
    port = f":{settings.PUBLIC_PORT}" if settings.PUBLIC_PORT else ""
    return ConfiguredSite(name="FinOps", domain=f"{settings.BASE_DOMAIN}{port}")


def public_page_url(name: str, *args: Any, **kwargs: Any) -> str:
    """Absolute URL of a page of the public site, built from settings (never from a request)."""
    return public_url(reverse(name, args=args, kwargs=kwargs, urlconf=settings.PUBLIC_SCHEMA_URLCONF))


def links_off_site(text: str) -> list[str]:
    """Links in `text` that do not point at the configured site (public host or an organization's)."""
    site = configured_site().domain
    off = []
    for url in _URL.findall(text):
        parts = urlsplit(url)
        on_site = parts.scheme == settings.SITE_SCHEME and (parts.netloc == site or parts.netloc.endswith(f".{site}"))
        if not on_site:
            off.append(url)
    return off


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

    # --- Emailed links: always the public site as configured, whatever Host the request had.
    # (allauth builds them with request.build_absolute_uri, i.e. from the Host header.)

    def get_reset_password_from_key_url(self, key: str) -> str:
        path = reverse(
            "account_reset_password_from_key",
            kwargs={"uidb36": "UID", "key": "KEY"},
            urlconf=settings.PUBLIC_SCHEMA_URLCONF,
        )
        return public_url(path.replace("UID-KEY", quote(key)))

    def get_email_confirmation_url(self, request: HttpRequest, emailconfirmation: Any) -> str:
        return public_page_url("account_confirm_email", emailconfirmation.key)

    def send_account_already_exists_mail(self, email: str) -> None:
        context = {
            "signup_url": public_page_url("signup"),
            "password_reset_url": public_page_url("account_reset_password"),
        }
        self.send_mail("account/email/account_already_exists", email, context)

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        ctx: dict[str, Any] = {"request": allauth_context.request, "email": email, "current_site": configured_site()}
        ctx.update(context)
        ctx["current_site"] = configured_site()
        if _SIGNUP_LINK in ctx:
            ctx[_SIGNUP_LINK] = public_page_url("signup")
        message = self.render_mail(template_prefix, email, ctx)
        bodies = [str(message.body)] + [str(part[0]) for part in getattr(message, "alternatives", [])]
        off_site = [url for body in bodies for url in links_off_site(body)]
        if off_site:
            # Fail closed: a link we did not build from settings (a new allauth mail, say)
            # must not go out pointing wherever the request's Host said.
            raise RuntimeError(f"refusing to email {template_prefix} with links off the configured site: {off_site}")
        message.send()
