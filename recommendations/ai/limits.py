"""Per-organization limits on model calls: calls in flight (Redis, across workers) and a monthly token budget."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import redis
from django.conf import settings

from finops.db import current_schema

# Atomically: drop expired holders, then take a slot if fewer than the cap hold one.
_ACQUIRE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
  redis.call('EXPIRE', KEYS[1], ARGV[5])
  return 1
end
return 0
"""


class SlotTimeout(RuntimeError):
    """No call slot came free in time (other workers of the organization hold them all)."""


class OrganizationSlots:
    """At most `cap` model calls in flight per organization, whichever worker or thread makes them.

    A holder that dies without releasing loses its slot after `lease` seconds.
    """

    def __init__(self, *, schema: str, cap: int, lease: int = 600, redis_url: str | None = None) -> None:
        self.key = f"{settings.CACHES['default'].get('KEY_PREFIX', 'finops')}:ai-slots:{schema}"
        self.cap = cap
        self.lease = lease
        self.client = redis.Redis.from_url(redis_url or settings.REDIS_URL)
        self.script = self.client.register_script(_ACQUIRE)

    def in_flight(self) -> int:
        self.client.zremrangebyscore(self.key, "-inf", time.time())
        return int(self.client.zcard(self.key))

    @contextmanager
    def slot(self, *, wait: float = 300) -> Iterator[None]:
        token = uuid.uuid4().hex
        deadline = time.monotonic() + wait
        while True:
            now = time.time()
            if self.script(keys=[self.key], args=[now, self.cap, now + self.lease, token, self.lease * 2]):
                break
            if time.monotonic() > deadline:
                raise SlotTimeout(f"no model call slot free within {wait:.0f} s (cap {self.cap})")
            time.sleep(0.05)
        try:
            yield
        finally:
            self.client.zrem(self.key, token)


def organization_slots() -> OrganizationSlots:
    return OrganizationSlots(schema=current_schema(), cap=settings.BEDROCK_ORGANIZATION_CONCURRENCY)


class TokenBudget:
    """What is left of the month's tokens, shared by the threads of one run.

    Each call reserves its counted input plus the output it may produce before it is sent, and
    settles to what it actually used afterwards, so concurrent calls cannot overspend together.
    """

    def __init__(self, *, remaining: int) -> None:
        self.remaining = remaining
        self.lock = threading.Lock()

    def reserve(self, tokens: int) -> bool:
        with self.lock:
            if tokens > self.remaining:
                return False
            self.remaining -= tokens
            return True

    def settle(self, *, reserved: int, used: int) -> None:
        with self.lock:
            self.remaining += reserved - used
