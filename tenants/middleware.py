"""The membership wall on organization hosts.

On an organization's host, anonymous visitors are sent to sign in and signed-in users who
are not members get 404 on every page, exactly like a page that does not exist. Only the
pages needed to get in (sign-in, password reset, invitation links, the sign-in hand-off)
are open.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect

from finops.logging import bind
from tenants.access import membership_for

# Reachable by anonymous visitors on an organization host.
ANONYMOUS_PREFIXES = (
    "/accounts/login/",
    "/accounts/password/reset/",
    "/accounts/confirm-email/",
    "/accounts/2fa/authenticate/",
    "/accounts/logout/",
    "/auth/handoff/",
    "/invitations/",
    "/api/",  # API requests authenticate with API keys in their own layer
)
# Reachable by signed-in non-members (they may be accepting an invitation).
# The API answers them itself (404 with its error body, or a key's own authentication).
NON_MEMBER_PREFIXES = ("/invitations/", "/auth/handoff/", "/accounts/logout/", "/accounts/login/", "/api/")


class MembershipRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tenant = getattr(request, "tenant", None)
        request.membership = None  # type: ignore[attr-defined]
        if tenant is None or tenant.is_public or request.path.startswith(settings.STATIC_URL):
            return self.get_response(request)
        user = request.user
        if not user.is_authenticated:
            if request.path.startswith(ANONYMOUS_PREFIXES):
                return self.get_response(request)
            return HttpResponseRedirect(f"/accounts/login/?next={quote(request.get_full_path())}")
        bind(user=str(user.pk))
        membership = membership_for(user, tenant)
        if membership is None:
            if request.path.startswith(NON_MEMBER_PREFIXES):
                return self.get_response(request)
            raise Http404("No such page")
        request.membership = membership  # type: ignore[attr-defined]
        return self.get_response(request)
