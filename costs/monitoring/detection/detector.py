"""Walk a daily series day by day, as runs after each ingestion would, and raise anomaly events.

Each day is judged against a baseline fitted on the days before it only (so a replay of the
past decides exactly what a daily run would have decided then). Two tests:

- the day test: today's spend is above the expected spend by more than `day_sigmas` noise
  units (the dynamic threshold) and by at least the monitor's percentage and money floors;
  it finds spikes and the first day of big level shifts;
- the sustained test: the median of the last `sustained_days` ratios actual/expected, each
  against the baseline fitted a week ago, is above its threshold; medians ignore a short spike,
  so this finds slow ramps and moderate shifts that no single day gives away.

Flagged days closer than `merge_gap_days` form one event: one alert, however many days it
lasts. While an event is young its days are kept out of the baseline (replaced by the expected
spend), so a spike does not raise tomorrow's expectations. Once an event has lasted
`shift_confirm_days` it is a confirmed change: the baseline restarts at the event's first day
(a new regime) and learns the new level, trend and weekly shape from there, which ends the
event instead of alerting forever.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from statistics import median

from costs.monitoring.detection.baseline import WEEK, Fit, fit, noise_sigma


@dataclass(frozen=True)
class DetectorSettings:
    """Knobs of the model; the defaults were tuned on the evaluation set's tuning seed."""

    min_history_days: int = 21
    lookback_weeks: int = 12
    level_weeks: int = 3
    day_sigmas: float = 4.5
    sustained_days: int = 7
    sustained_sigmas: float = 5.0
    min_percent: float = 0.3  # fraction above expected, per monitor
    min_daily_impact: float = 0.0  # money above expected on a day (or over the sustained window), per monitor
    merge_gap_days: int = 7
    shift_confirm_days: int = 7
    shape_regime_days: int = 14
    max_daily_growth: float = 0.01
    sigma_floor: float = 0.03
    noise_days: int = 56
    min_noise_days: int = 14


@dataclass
class Event:
    """One anomaly: days are indexes into the series."""

    start: int  # first day of the excess
    detected: int  # the day whose data raised the alert
    end: int  # last flagged day
    trigger: str  # "day" or "sustained"
    reference: Fit  # the baseline before the event: expected spend for every day of it
    flagged: list[int] = field(default_factory=list)
    confirmed_change: bool = False
    ongoing: bool = False

    def expected(self, day: int) -> float:
        return self.reference.expected(day)


@dataclass
class Detection:
    expected: list[float | None]  # the baseline each day was judged against (None: not judged)
    events: list[Event]


def detect(values: Sequence[float | None], settings: DetectorSettings | None = None) -> Detection:
    """Judge every day of `values` (daily spend, None where the bill has no figure) and return the events."""
    s = settings or DetectorSettings()
    n = len(values)
    expected: list[float | None] = [None] * n
    events: list[Event] = []
    first = next((i for i, v in enumerate(values) if v is not None), n)
    # What the baseline learns from: actual spend, except young events' days and missing days.
    clean: list[float] = [0.0] * n
    fits: list[Fit | None] = [None] * n
    anchor = first
    current: Event | None = None
    # Past forecast errors of ordinary days: the noise the dynamic threshold is scaled by.
    errors: list[float] = []
    shape: tuple[float, ...] | None = None
    shape_key: tuple[int, int] | None = None
    for t in range(first, n):
        actual = values[t]
        if t - first < s.min_history_days:
            clean[t] = actual if actual is not None else (clean[t - 1] if t > first else 0.0)
            continue
        shape_start = anchor if t - anchor >= s.shape_regime_days else first
        # The weekly shape changes slowly: refit it once a week (or when the regime moves).
        if shape_key is None or shape_key[1] != shape_start or t - shape_key[0] >= WEEK:
            shape, shape_key = None, (t, shape_start)
        today = fit(
            clean,
            origin=t,
            level_start=anchor,
            shape=shape,
            shape_start=shape_start,
            weeks=s.lookback_weeks,
            level_weeks=s.level_weeks,
            max_daily_growth=s.max_daily_growth,
            sigma=noise_sigma(errors[-s.noise_days :], s.sigma_floor) if len(errors) >= s.min_noise_days else None,
            sigma_floor=s.sigma_floor,
        )
        if today is None:  # a regime younger than a week: learn, do not judge
            clean[t] = actual if actual is not None else clean[t - 1]
            continue
        fits[t] = today
        shape = today.shape
        guess = today.expected(t)
        expected[t] = guess
        if actual is None:
            clean[t] = guess
            continue
        trigger = _day_test(actual, guess, today.sigma, s) or _sustained_test(values, fits, t, s)
        if current is not None and t - current.end > s.merge_gap_days:
            current = None
        if trigger is None:
            clean[t] = actual
            if guess > 0 and actual > 0:
                errors.append(math.log(actual / guess))
            continue
        if current is None:
            current = _event_open(values, fits, t, trigger, today, s)
            events.append(current)
            for day in range(current.start, t):  # a sustained rise: its earlier days leave the baseline too
                clean[day] = current.expected(day)
        current.end = t
        current.flagged.append(t)
        clean[t] = actual if current.confirmed_change else guess
        if not current.confirmed_change and t - current.start + 1 >= s.shift_confirm_days:
            current.confirmed_change = True
            anchor = current.start
            for day in range(current.start, t + 1):
                clean[day] = values[day] if values[day] is not None else clean[day]  # type: ignore[assignment]
    if current is not None and n - 1 - current.end <= s.merge_gap_days:
        current.ongoing = True
    return Detection(expected=expected, events=events)


def _day_test(actual: float, guess: float, sigma: float, s: DetectorSettings) -> str | None:
    excess = actual - guess
    if excess <= 0 or excess < s.min_daily_impact:
        return None
    if guess <= 0:
        return "day"
    ratio = actual / guess
    return "day" if ratio > 1 + s.min_percent and math.log(ratio) > s.day_sigmas * sigma else None


def _sustained_test(
    values: Sequence[float | None], fits: Sequence[Fit | None], t: int, s: DetectorSettings
) -> str | None:
    """Median ratio of the last days to the baseline fitted before them."""
    window_start = t - s.sustained_days + 1
    if window_start < 0:
        return None
    before = fits[window_start]
    if before is None:
        return None
    ratios, excess = [], 0.0
    for day in range(window_start, t + 1):
        value = values[day]
        guess = before.expected(day)
        if value is None or guess <= 0:
            continue
        ratios.append(value / guess)
        excess += value - guess
    if len(ratios) < s.sustained_days - 1 or excess < s.min_daily_impact:
        return None
    ratio = median(ratios)
    if ratio <= 1 + s.min_percent:
        return None
    return "sustained" if math.log(ratio) > s.sustained_sigmas * before.sigma / s.sustained_days**0.5 else None


def _event_open(
    values: Sequence[float | None], fits: Sequence[Fit | None], t: int, trigger: str, today: Fit, s: DetectorSettings
) -> Event:
    if trigger == "day":
        return Event(start=t, detected=t, end=t, trigger=trigger, reference=today)
    # A sustained rise began before the alert: go back while days stayed above the older baseline.
    reference = fits[t - s.sustained_days + 1]
    assert reference is not None
    start = t
    while start - 1 >= t - s.sustained_days + 1:
        value = values[start - 1]
        if value is None or value <= reference.expected(start - 1) * math.exp(reference.sigma):
            break
        start -= 1
    return Event(start=start, detected=t, end=t, trigger=trigger, reference=reference)


__all__ = ["WEEK", "Detection", "DetectorSettings", "Event", "detect"]
