"""Request rate limits counted in Redis: a sliding window in one round trip.

DRF's stock throttle keeps every request's timestamp in one cache entry, which it reads,
unpickles, trims, pickles and writes back on every call (two round trips, and O(requests in the
window) work). Here each window is one counter: a call increments the current window's counter
and reads the previous window's, in one pipelined round trip, and estimates the sliding-window
count as `previous × (share of the previous window still inside the sliding one) + current`
(the estimate Cloudflare describes for its rate limiting). A refused call is taken back, so
refusals do not count, as with DRF's throttle.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from functools import cache

import redis
from django.conf import settings


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    retry_after: int | None  # whole seconds until a call would be allowed again (refusals only)


@cache
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)


PERIOD_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def rate_parse(rate: str) -> tuple[int, int]:
    """DRF's rate notation: "600/min" → (600, 60); the period's first letter is s, m, h or d."""
    count, _, period = rate.partition("/")
    try:
        return int(count), PERIOD_SECONDS[period.strip()[:1]]
    except (ValueError, KeyError):
        raise ValueError(f"rate {rate!r}: expected <count>/<s|min|hour|day>") from None


def _key(name: str, window: int) -> str:
    return f"{settings.CACHE_KEY_PREFIX}:rate:{name}:{window}"


def rate_limit_hit(*, name: str, limit: int, period: int, now: float | None = None) -> RateDecision:
    """Count one call against `name` (at most `limit` per `period` seconds); refused calls are not counted."""
    now = time.time() if now is None else now
    window, into = divmod(now, period)
    current_key, previous_key = _key(name, int(window)), _key(name, int(window) - 1)
    client = _client(settings.REDIS_URL)
    pipe = client.pipeline(transaction=False)
    pipe.incr(current_key)
    pipe.expire(current_key, 2 * period)
    pipe.get(previous_key)
    current, _, previous_raw = pipe.execute()
    previous = int(previous_raw or 0)
    overlap = 1 - into / period  # share of the previous window still inside the sliding window
    if previous * overlap + current <= limit:
        return RateDecision(allowed=True, retry_after=None)
    client.decr(current_key)
    return RateDecision(allowed=False, retry_after=_retry_after(limit, period, previous, current - 1, into))


def _retry_after(limit: int, period: int, previous: int, current: int, into: float) -> int:
    """Seconds until `previous × overlap + current + 1 ≤ limit`, if no other call comes meanwhile."""
    room = limit - current - 1
    if room >= 0 and previous > 0:
        # Still in this window: wait for the previous window's share to shrink enough.
        wait = period * (1 - room / previous) - into
    else:
        # Next window: this window's count becomes the previous one and shrinks in turn.
        wait = (period - into) + period * max(0.0, 1 - (limit - 1) / max(current, 1))
    return max(1, math.ceil(wait))
