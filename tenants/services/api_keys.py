"""API keys: create (the secret is returned once), revoke, and resolve a presented secret.

A secret reads `fo_<prefix>_<random>`: the prefix (public, shown on the keys page) finds the
row; the whole secret's SHA-256 is compared with `hmac.compare_digest`. Last use is recorded
at most once a minute per key, with a conditional UPDATE, so a busy key costs no write per call.

Resolved rows are kept in the "global" cache by prefix (KEY_CACHE_SECONDS), so a busy key costs
no database query per call either. Every change to a key's row drops its entry: revoking and
recording last use here, any other save or delete through the model's signals. An entry
written by a request that read the row just before a revocation committed can outlive the
revocation's drop; KEY_CACHE_SECONDS bounds how long (the drop also runs again on commit).
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.core.cache import caches
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from tenants.models import ApiKey, ApiKeyScope, Organization

SECRET_START = "fo_"
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)
KEY_CACHE_SECONDS = 60
# The fields a resolved key carries (everything but the organization, which the caller has).
_CACHED_FIELDS = ("id", "organization_id", "name", "scope", "prefix", "secret_hash", "created_by_id",
                  "created_at", "last_used_at", "revoked_at")  # fmt: skip


@dataclass(frozen=True)
class NewApiKey:
    key: ApiKey
    secret: str  # shown once, never stored


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_key_create(*, organization: Organization, name: str, scope: str, created_by: User | None) -> NewApiKey:
    """A new key of `organization`; the returned secret is the only copy there will ever be."""
    if scope not in ApiKeyScope.values:
        raise ValueError(f"unknown scope {scope!r}")
    prefix = secrets.token_hex(4)
    secret = f"{SECRET_START}{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey(
        organization=organization,
        name=name,
        scope=scope,
        prefix=prefix,
        secret_hash=_hash(secret),
        created_by=created_by,
    )
    key.full_clean()  # the name's validators (no control characters)
    key.save()
    return NewApiKey(key=key, secret=secret)


def api_key_revoke(*, key: ApiKey) -> bool:
    """Revoke `key` (already scoped to the caller's organization); False when it already was."""
    revoked = ApiKey.objects.filter(pk=key.pk, revoked_at=None).update(revoked_at=timezone.now())
    _forget(key.prefix)
    return revoked == 1


def api_key_prefix_of(secret: str) -> str | None:
    if not secret.startswith(SECRET_START):
        return None
    prefix, _, rest = secret[len(SECRET_START) :].partition("_")
    if len(prefix) != 8 or not rest:
        return None
    return prefix


def api_key_resolve(*, secret: str) -> ApiKey | None:
    """The active key whose secret this is, or None (unknown, malformed, revoked)."""
    prefix = api_key_prefix_of(secret)
    if prefix is None:
        return None
    key = _cached(prefix)
    if key is None:
        key = ApiKey.objects.filter(prefix=prefix).first()
        if key is None:
            return None
        caches["global"].set(
            _cache_key(prefix), {name: getattr(key, name) for name in _CACHED_FIELDS}, KEY_CACHE_SECONDS
        )
    if not hmac.compare_digest(key.secret_hash, _hash(secret)) or key.revoked_at is not None:
        return None
    return key


def _cache_key(prefix: str) -> str:
    return f"api-key:{prefix}"


def _cached(prefix: str) -> ApiKey | None:
    fields = caches["global"].get(_cache_key(prefix))
    if fields is None:
        return None
    key = ApiKey(**fields)
    key._state.adding = False
    key._state.db = "default"
    return key


def _forget(prefix: str) -> None:
    """Drop the cached row now and again on commit (a request may re-cache the old row meanwhile)."""
    caches["global"].delete(_cache_key(prefix))
    transaction.on_commit(lambda: caches["global"].delete(_cache_key(prefix)))


def api_key_cache_forget(sender: type[ApiKey], instance: ApiKey, **kwargs: object) -> None:
    """post_save/post_delete of a key (connected in TenantsConfig.ready): its cached row goes."""
    _forget(instance.prefix)


def api_key_touch(*, key: ApiKey, now: datetime.datetime | None = None) -> None:
    """Record that `key` was used, at most once per LAST_USED_RESOLUTION (one UPDATE, often none)."""
    now = now or timezone.now()
    if key.last_used_at is not None and now - key.last_used_at < LAST_USED_RESOLUTION:
        return
    ApiKey.objects.filter(pk=key.pk).filter(
        Q(last_used_at=None) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
    ).update(last_used_at=now)
    key.last_used_at = now
    # The cached row says an older last use: the next call reads the row again (and caches it).
    caches["global"].delete(_cache_key(key.prefix))
