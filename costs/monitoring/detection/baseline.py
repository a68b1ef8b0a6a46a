"""The expected daily spend: weekly shape x robust level and trend, and how noisy the series is.

Everything here is a pure function of a few weeks of history, recomputed each day:

- the history is cut into whole weeks ending yesterday; each week's median is its level;
- the weekly shape is, per weekday, the median ratio of that day to its own week's level
  (ratios, so a trend or a level shift inside the history does not bend the shape);
- the trend is the Theil-Sen slope through the weekly levels (the median of pairwise slopes:
  one odd week cannot tilt it), clipped so the baseline never extrapolates wild growth;
- the noise is measured by the detector on its own past forecast errors (`noise_sigma`); until
  there are enough of them, from the in-sample residuals, inflated because a fit flatters itself.

The model works in floats: its outputs are estimates. The amounts an anomaly records (actual
spend, the excess over the estimate) are computed from the bill's exact Decimal figures.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median

WEEK = 7
MAD_TO_SIGMA = 1.4826
IN_SAMPLE_INFLATION = 1.5


@dataclass(frozen=True)
class Fit:
    """The baseline fitted on the history before day `origin` (day indexes count from the series start)."""

    origin: int
    level: float  # deseasonalised spend expected on day `origin`
    slope: float  # change of the deseasonalised level per day
    shape: tuple[float, ...]  # weekday factors indexed by day % 7, mean 1
    sigma: float  # noise: standard deviation of log(actual / expected)

    def expected(self, day: int) -> float:
        """Spend expected on `day` (never below zero)."""
        level = self.level + self.slope * (day - self.origin)
        return max(0.0, level) * self.shape[day % WEEK]


def weekly_blocks(values: Sequence[float], end: int, weeks: int) -> list[tuple[int, list[float]]]:
    """Up to `weeks` whole weeks ending just before `end`: (first day, the seven values), oldest first."""
    blocks: list[tuple[int, list[float]]] = []
    start = end - WEEK
    while start >= 0 and len(blocks) < weeks:
        blocks.append((start, list(values[start : start + WEEK])))
        start -= WEEK
    blocks.reverse()
    return blocks


def weekday_shape(blocks: Sequence[tuple[int, list[float]]]) -> tuple[float, ...]:
    """Median ratio of each weekday to its week's median level, normalised to mean 1 (flat without 2 weeks)."""
    if len(blocks) < 2:
        return (1.0,) * WEEK
    ratios: list[list[float]] = [[] for _ in range(WEEK)]
    for first, week in blocks:
        level = median(week)
        if level <= 0:
            continue
        for offset, value in enumerate(week):
            ratios[(first + offset) % WEEK].append(value / level)
    if any(not r for r in ratios):
        return (1.0,) * WEEK
    # Few weeks give a noisy shape: shrink it towards flat (2 weeks keep half of it, 8 weeks 80%).
    keep = len(blocks) / (len(blocks) + 2)
    factors = [1 + (median(r) - 1) * keep for r in ratios]
    mean = sum(factors) / WEEK
    if mean <= 0:
        return (1.0,) * WEEK
    return tuple(f / mean for f in factors)


def theil_sen_slope(points: Sequence[tuple[float, float]]) -> float:
    """Median of the pairwise slopes (0 with fewer than two points)."""
    slopes = [(y2 - y1) / (x2 - x1) for i, (x1, y1) in enumerate(points) for (x2, y2) in points[i + 1 :] if x2 != x1]
    return median(slopes) if slopes else 0.0


def noise_sigma(log_errors: Sequence[float], floor: float) -> float:
    """A robust standard deviation of log(actual / expected): 1.4826 x their median absolute deviation.

    Logs, because spend is multiplicative: a bursty service's +80% day is as ordinary as its
    -45% day, and a threshold on the log ratio treats both sides alike.
    """
    centre = median(log_errors)
    return max(floor, MAD_TO_SIGMA * median(abs(r - centre) for r in log_errors))


def fit(
    values: Sequence[float],
    *,
    origin: int,
    level_start: int,
    shape: tuple[float, ...] | None,
    shape_start: int,
    weeks: int,
    level_weeks: int,
    max_daily_growth: float,
    sigma: float | None,
    sigma_floor: float,
) -> Fit | None:
    """The baseline for day `origin` from `values[:origin]`; None without one whole week of history.

    Level and trend use the weeks from `level_start` on (the current regime, after the last
    confirmed level shift); the weekly shape, unless given, weeks from `shape_start` on. The
    noise `sigma`, unless given, comes from the in-sample residuals.
    """
    blocks = weekly_blocks(values, origin, weeks)
    level_blocks = [b for b in blocks if b[0] >= level_start]
    if not level_blocks:
        return None
    if shape is None:
        shape = weekday_shape([b for b in blocks if b[0] >= shape_start])
    deseasonalised = [
        (first, [value / shape[(first + k) % WEEK] for k, value in enumerate(week)]) for first, week in level_blocks
    ]
    # Each week's level sits at its middle day (first + 3).
    points = [(first + 3.0, median(week)) for first, week in deseasonalised]
    slope = theil_sen_slope(points) if len(points) >= 3 else 0.0
    last_level = points[-1][1]
    bound = max_daily_growth * max(abs(last_level), 1e-9)
    slope = min(max(slope, -bound), bound)
    # The level comes from the latest weeks only, so it follows the series instead of averaging
    # the whole history; the trend projects it forward.
    intercept = median([y - slope * x for x, y in points[-level_weeks:]])
    level = intercept + slope * origin
    if sigma is None:
        residuals = [
            math.log(value / fitted)
            for first, week in deseasonalised
            for k, value in enumerate(week)
            if (fitted := intercept + slope * (first + k)) > 0 and value > 0
        ]
        sigma = IN_SAMPLE_INFLATION * noise_sigma(residuals, sigma_floor) if residuals else sigma_floor
    return Fit(origin=origin, level=level, slope=slope, shape=shape, sigma=sigma)
