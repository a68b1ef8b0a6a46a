"""API rate limits: a sliding window counted in Redis (one round trip), refusals not counted,
and a Retry-After that is neither zero nor longer than the wait really is."""

from __future__ import annotations

import uuid

from finops.rate_limits import rate_limit_hit, rate_parse

PERIOD = 60
T0 = 1_800_000_000.0 - 1_800_000_000.0 % PERIOD  # the start of a window


def name() -> str:
    return f"test:{uuid.uuid4().hex}"


def test_rates_read_drf_notation() -> None:
    assert rate_parse("600/min") == (600, 60)
    assert rate_parse("5/s") == (5, 1)
    assert rate_parse("100/hour") == (100, 3600)
    assert rate_parse("2/day") == (2, 86400)


def test_a_malformed_rate_names_itself() -> None:
    for rate in ("lots/min", "5/fortnight", "5"):
        try:
            rate_parse(rate)
        except ValueError as error:
            assert rate in str(error)
        else:
            raise AssertionError(f"{rate} was accepted")


def test_the_limit_holds_within_a_window_and_refusals_are_not_counted() -> None:
    key = name()
    decisions = [rate_limit_hit(name=key, limit=3, period=PERIOD, now=T0 + 1) for _ in range(5)]
    assert [d.allowed for d in decisions] == [True, True, True, False, False]
    assert all(d.retry_after is None for d in decisions[:3])
    # Refused calls were taken back: the next window sees 3 calls before it, not 5.
    assert rate_limit_hit(name=key, limit=3, period=PERIOD, now=T0 + PERIOD).allowed is False


def test_the_previous_window_counts_by_the_share_still_inside_the_sliding_window() -> None:
    key = name()
    for _ in range(10):
        assert rate_limit_hit(name=key, limit=10, period=PERIOD, now=T0 + 59).allowed
    # A quarter into the next window, 3/4 of the previous 10 still count: 7.5 + 1 ≤ 10, …
    assert rate_limit_hit(name=key, limit=10, period=PERIOD, now=T0 + PERIOD + 15).allowed
    assert rate_limit_hit(name=key, limit=10, period=PERIOD, now=T0 + PERIOD + 15).allowed
    # … 7.5 + 3 is not; half way through, 5 + 3 is.
    refused = rate_limit_hit(name=key, limit=10, period=PERIOD, now=T0 + PERIOD + 15)
    assert refused.allowed is False
    assert refused.retry_after is not None and 1 <= refused.retry_after <= 15
    assert rate_limit_hit(name=key, limit=10, period=PERIOD, now=T0 + PERIOD + 15 + refused.retry_after).allowed


def test_retry_after_is_when_a_call_would_pass_again() -> None:
    key = name()
    for _ in range(3):
        rate_limit_hit(name=key, limit=3, period=PERIOD, now=T0 + 10)
    refused = rate_limit_hit(name=key, limit=3, period=PERIOD, now=T0 + 10)
    assert refused.allowed is False and refused.retry_after is not None
    assert rate_limit_hit(name=key, limit=3, period=PERIOD, now=T0 + 10 + refused.retry_after - 2).allowed is False
    assert rate_limit_hit(name=key, limit=3, period=PERIOD, now=T0 + 10 + refused.retry_after).allowed is True
