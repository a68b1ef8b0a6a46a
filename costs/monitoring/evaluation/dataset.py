"""A labelled evaluation set of daily spend series, generated from a seed (nothing hand-picked).

    python -m costs.monitoring.evaluation.dataset --seed 2 --count 300 > anomaly-eval-seed2.csv

Each series is a product of parts drawn at random (all from the seed):

- a level between $5 and $5,000 a day (log-uniform);
- a weekly shape: weekend dips (40%), mild weekday variation (30%) or flat (30%);
- benign changes that must NOT alert: steady growth or decline (-3% to +10% a month, 60% of
  series), a lasting drop in spend (savings, 15%), a short dip to 10-60% for 2-7 days and
  back (an outage or a pause, 10%);
- noise: multiplicative, 1% to 35% a day (log-uniform: steady fleets to bursty services), with
  heavier tails on 3% of days;
- 0 to 3 labelled anomalies, none in the first 8 weeks, at least 5 weeks apart:
  spike (1-3 days, +50% to +300%), level shift (+30% to +150%, lasting), slow ramp (+40% to
  +150% reached linearly over 10-35 days, then lasting) and seasonal change (weekends start
  costing what weekdays cost, or one weekday a week gains a +100% to +300% batch job).

Each anomaly has a window, the days on which an alert counts as finding it (as in NAB): a spike
from its first day to 2 days after its last, a shift 7 days from its start, a ramp until 7 days
after it tops out, a seasonal change 14 days from its start.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import math
import random
import sys
from dataclasses import dataclass, field

KINDS = ("spike", "level_shift", "ramp", "seasonal_change")
FIRST_ANOMALY_DAY = 56
GAP_BETWEEN_ANOMALIES = 35


@dataclass(frozen=True)
class LabelledEvent:
    kind: str
    start: int
    window_end: int  # last day on which an alert still finds this event (inclusive)


@dataclass
class LabelledSeries:
    name: str
    start_date: datetime.date
    values: list[float]
    events: list[LabelledEvent] = field(default_factory=list)
    benign: list[str] = field(default_factory=list)

    @property
    def months(self) -> float:
        return len(self.values) / 30.44


def generate(*, seed: int, count: int = 300) -> list[LabelledSeries]:
    """`count` labelled series drawn from `seed` (the same seed gives the same set)."""
    rng = random.Random(seed)
    return [_series(rng, f"s{seed}-{index:03d}") for index in range(count)]


def _series(rng: random.Random, name: str) -> LabelledSeries:
    length = rng.randint(182, 365)
    start_date = datetime.date(2025, 1, 1) + datetime.timedelta(days=rng.randint(0, 180))
    level = math.exp(rng.uniform(math.log(5), math.log(5000)))
    weekly, weekend_factor = _weekly_shape(rng, start_date)
    multipliers = [1.0] * length
    series = LabelledSeries(name=name, start_date=start_date, values=[])
    _benign_changes(rng, series, multipliers)
    day = FIRST_ANOMALY_DAY + rng.randint(0, 20)
    for _ in range(rng.choice((0, 1, 1, 2, 2, 3))):
        if day >= length - 10:
            break
        kind = rng.choice(KINDS)
        event = _inject(rng, kind, day, length, weekly, weekend_factor, multipliers)
        series.events.append(event)
        day = event.window_end + GAP_BETWEEN_ANOMALIES + rng.randint(0, 40)
    sigma = math.exp(rng.uniform(math.log(0.01), math.log(0.35)))
    for t in range(length):
        noise_sigma = sigma * (2.5 if rng.random() < 0.03 else 1.0)
        noise = math.exp(rng.gauss(0.0, noise_sigma) - noise_sigma**2 / 2)
        value = level * weekly[t % 7] * multipliers[t] * noise
        series.values.append(round(max(value, 0.0), 2))
    return series


def _weekly_shape(rng: random.Random, start_date: datetime.date) -> tuple[list[float], float]:
    """Factors by day index % 7 (index 0 is start_date's weekday), and the weekend factor (1 if none)."""
    kind = rng.choices(("weekend_dip", "mild", "flat"), weights=(0.4, 0.3, 0.3))[0]
    factors, weekend_factor = [1.0] * 7, 1.0
    for slot in range(7):
        weekday = (start_date.weekday() + slot) % 7
        if kind == "weekend_dip" and weekday >= 5:
            factors[slot] = weekend_factor = rng.uniform(0.3, 0.8) if weekend_factor == 1.0 else weekend_factor
        elif kind == "mild":
            factors[slot] = 1.0 + rng.gauss(0.0, 0.08)
    return factors, weekend_factor


def _benign_changes(rng: random.Random, series: LabelledSeries, multipliers: list[float]) -> None:
    length = len(multipliers)
    if rng.random() < 0.6:
        monthly = rng.uniform(-0.03, 0.10)
        series.benign.append(f"growth {monthly:+.1%}/month")
        for t in range(length):
            multipliers[t] *= (1 + monthly) ** (t / 30.44)
    if rng.random() < 0.15:
        day, factor = rng.randint(30, length - 1), rng.uniform(0.5, 0.85)
        series.benign.append(f"savings x{factor:.2f} from day {day}")
        for t in range(day, length):
            multipliers[t] *= factor
    if rng.random() < 0.10:
        day, days, factor = rng.randint(30, length - 8), rng.randint(2, 7), rng.uniform(0.1, 0.6)
        series.benign.append(f"dip x{factor:.2f} for {days} days from day {day}")
        for t in range(day, day + days):
            multipliers[t] *= factor


def _inject(
    rng: random.Random,
    kind: str,
    day: int,
    length: int,
    weekly: list[float],
    weekend_factor: float,
    multipliers: list[float],
) -> LabelledEvent:
    if kind == "spike":
        days, factor = rng.randint(1, 3), 1 + rng.uniform(0.5, 3.0)
        for t in range(day, min(day + days, length)):
            multipliers[t] *= factor
        return LabelledEvent(kind, day, day + days + 1)
    if kind == "level_shift":
        factor = 1 + rng.uniform(0.3, 1.5)
        for t in range(day, length):
            multipliers[t] *= factor
        return LabelledEvent(kind, day, day + 6)
    if kind == "ramp":
        days, top = rng.randint(10, 35), rng.uniform(0.4, 1.5)
        for t in range(day, length):
            multipliers[t] *= 1 + top * min(1.0, (t - day + 1) / days)
        return LabelledEvent(kind, day, day + days + 7)
    # Seasonal change: the weekly shape itself changes from `day` on.
    if weekend_factor < 1.0 and rng.random() < 0.7:
        slots = [slot for slot in range(7) if weekly[slot] == weekend_factor]
        factors = dict.fromkeys(slots, 1 / weekend_factor)
    else:
        factors = {rng.randrange(7): 1 + rng.uniform(1.0, 3.0)}
    for t in range(day, length):
        multipliers[t] *= factors.get(t % 7, 1.0)
    return LabelledEvent(kind, day, day + 13)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--count", type=int, default=300)
    args = parser.parse_args(argv)
    writer = csv.writer(sys.stdout)
    writer.writerow(["series", "day", "date", "spend", "label"])
    for series in generate(seed=args.seed, count=args.count):
        labels: dict[int, str] = {}
        for event in series.events:
            for t in range(event.start, event.window_end + 1):
                labels.setdefault(t, event.kind)
        for t, value in enumerate(series.values):
            date = series.start_date + datetime.timedelta(days=t)
            writer.writerow([series.name, t, date.isoformat(), f"{value:.2f}", labels.get(t, "")])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
