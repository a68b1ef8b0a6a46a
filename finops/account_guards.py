"""Counters that guard accounts, kept in one cache alias that is deliberately *not* per organization.

The default cache prefixes every key with the organization's schema, which is right for data and
wrong for these: an account is the same account on every host, and anyone can create an
organization (a new host). A lockout counted per host is unlimited guessing. So login failures,
password-reset and email-confirmation requests, TOTP codes (attempts and used codes),
invitation-token failures and sign-ups are counted here, under one global namespace.

Nothing else belongs in this alias: it must never hold an organization's data.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from django.core.cache import BaseCache, caches
from django.http import HttpRequest
from django.utils.connection import ConnectionProxy

# settings.CACHES key; its KEY_FUNCTION is Django's default (no schema in the key), on purpose.
ACCOUNT_GUARDS_CACHE = "account_guards_global"


def account_guards_cache() -> BaseCache:
    """The global (un-prefixed) cache for account-guarding counters."""
    return caches[ACCOUNT_GUARDS_CACHE]


def allauth_counters_make_global() -> None:
    """Point django-allauth's rate-limit counters and TOTP used-code markers at the global alias.

    allauth reads and writes them through `django.core.cache.cache` (the default alias, which is
    per organization here) with no setting to choose another, so the module attributes are
    replaced once at start-up. `tenants.tests.test_account_guards` fails if an allauth upgrade
    moves them.
    """
    from allauth.core.internal import ratelimit
    from allauth.mfa.totp.internal import auth as totp_auth

    # A proxy, like django.core.cache.cache itself: each thread gets its own client.
    proxy = ConnectionProxy(caches, ACCOUNT_GUARDS_CACHE)
    ratelimit.cache = proxy  # type: ignore[assignment]
    totp_auth.cache = proxy  # type: ignore[assignment]


@dataclass(frozen=True)
class Limit:
    """At most `hits` of `action` per `seconds`, per scope (a client address, an email, or everyone)."""

    action: str
    hits: int
    seconds: int

    @classmethod
    def parse(cls, action: str, rate: str) -> Limit:
        """`Limit.parse("signup", "10/3600")`: 10 per hour (the form settings use)."""
        hits, seconds = rate.split("/")
        return cls(action, int(hits), int(seconds))


def _key(limit: Limit, scope: str) -> str:
    window = int(time.time()) // limit.seconds
    digest = hashlib.sha256(scope.encode()).hexdigest()[:32]  # no addresses or emails in key names
    return f"limit:{limit.action}:{limit.hits}/{limit.seconds}:{digest}:{window}"


def limit_reached(limit: Limit, scope: str) -> bool:
    """Whether `scope` has used up `limit` in the current window (counts nothing)."""
    return int(account_guards_cache().get(_key(limit, scope), 0)) >= limit.hits


def limit_consume(limit: Limit, scope: str) -> bool:
    """Count one hit; False when it is over the limit (a fixed window, atomic in Redis)."""
    cache = account_guards_cache()
    key = _key(limit, scope)
    cache.add(key, 0, timeout=limit.seconds + 1)
    try:
        count = int(cache.incr(key))
    except ValueError:  # expired between add() and incr()
        cache.add(key, 1, timeout=limit.seconds + 1)
        count = 1
    return count <= limit.hits


def client_address(request: HttpRequest) -> str:
    """The client's address as allauth sees it (behind the ALB: X-Forwarded-For, TRUSTED_PROXY_COUNT)."""
    from allauth.account.adapter import get_adapter

    return str(get_adapter().get_client_ip(request))
