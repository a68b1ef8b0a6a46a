"""A cost question as a value (date range, granularity, group-by, filters, basis), and its URL form.

The explorer page, saved views, drill-down links, other apps' links to `/costs/?…` and the API
all speak this one format (documented in `costs.explorer`); `cost_query_parse` turns request
parameters into a `CostQuery` or raises `QueryError` naming the parameter that is wrong.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from urllib.parse import urlencode

from costs.vocabulary import TAG_PREFIX, CostBasis, Dimension

MAX_RANGE_DAYS = 3 * 366  # a "huge range" beyond this is refused, not attempted
MAX_DAILY_DAYS = 400  # daily buckets beyond this make an unreadable chart: week or month instead
MAX_FILTER_VALUES = 100
MAX_VALUE_LENGTH = 512
MAX_TAG_KEY_LENGTH = 256
NONE_VALUE = ""  # the "no value" member of a dimension: untagged, no region, no resource id…


class QueryError(ValueError):
    """A parameter of a cost question is wrong; the message names it and says what would do."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter
        self.message = message


class Granularity(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class Preset(StrEnum):
    LAST_7_DAYS = "last_7_days"
    LAST_30_DAYS = "last_30_days"
    LAST_90_DAYS = "last_90_days"
    THIS_MONTH = "this_month"
    LAST_MONTH = "last_month"
    LAST_3_MONTHS = "last_3_months"
    LAST_6_MONTHS = "last_6_months"
    LAST_12_MONTHS = "last_12_months"
    YEAR_TO_DATE = "year_to_date"


PRESET_LABELS: dict[Preset, str] = {
    Preset.LAST_7_DAYS: "Last 7 days",
    Preset.LAST_30_DAYS: "Last 30 days",
    Preset.LAST_90_DAYS: "Last 90 days",
    Preset.THIS_MONTH: "This month",
    Preset.LAST_MONTH: "Last month",
    Preset.LAST_3_MONTHS: "Last 3 months",
    Preset.LAST_6_MONTHS: "Last 6 months",
    Preset.LAST_12_MONTHS: "Last 12 months",
    Preset.YEAR_TO_DATE: "Year to date",
}
DEFAULT_PRESET = Preset.LAST_90_DAYS


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def month_end(day: datetime.date) -> datetime.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def months_back(day: datetime.date, months: int) -> datetime.date:
    """The first day of the month `months` months before `day`'s month."""
    index = day.year * 12 + day.month - 1 - months
    return datetime.date(index // 12, index % 12 + 1, 1)


def preset_range(preset: Preset, *, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The inclusive days of a preset; "last N days" ends yesterday (today's bill is not in yet)."""
    yesterday = today - datetime.timedelta(days=1)
    if preset in (Preset.LAST_7_DAYS, Preset.LAST_30_DAYS, Preset.LAST_90_DAYS):
        days = {Preset.LAST_7_DAYS: 7, Preset.LAST_30_DAYS: 30, Preset.LAST_90_DAYS: 90}[preset]
        return yesterday - datetime.timedelta(days=days - 1), yesterday
    if preset == Preset.THIS_MONTH:
        return month_start(today), month_end(today)
    if preset == Preset.LAST_MONTH:
        start = months_back(today, 1)
        return start, month_end(start)
    if preset == Preset.YEAR_TO_DATE:
        return datetime.date(today.year, 1, 1), month_end(today)
    months = {Preset.LAST_3_MONTHS: 3, Preset.LAST_6_MONTHS: 6, Preset.LAST_12_MONTHS: 12}[preset]
    return months_back(today, months - 1), month_end(today)


@dataclass(frozen=True)
class DimensionFilter:
    """Keep (or with `exclude`, drop) the lines whose `dimension` is one of `values` ('' = none)."""

    dimension: str
    values: tuple[str, ...]
    exclude: bool = False

    @property
    def tag_key(self) -> str | None:
        return tag_key_of(self.dimension)


@dataclass(frozen=True)
class CostQuery:
    start: datetime.date
    end: datetime.date  # inclusive
    granularity: Granularity = Granularity.DAY
    group_by: str | None = Dimension.SERVICE
    filters: tuple[DimensionFilter, ...] = ()
    basis: str = CostBasis.BILLED
    preset: Preset | None = None  # kept so a bookmarked "last 30 days" stays rolling
    extra: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def dimensions(self) -> set[str]:
        """Every dimension the question needs (group-by and filters)."""
        wanted = {f.dimension for f in self.filters}
        if self.group_by:
            wanted.add(self.group_by)
        return wanted

    def with_filter(self, dimension: str, value: str) -> CostQuery:
        """This question narrowed to one value of a dimension (a drill-down into one group)."""
        kept = tuple(f for f in self.filters if not (f.dimension == dimension and not f.exclude))
        return replace(self, filters=(*kept, DimensionFilter(dimension, (value,))))

    def with_range(self, start: datetime.date, end: datetime.date) -> CostQuery:
        return replace(self, start=start, end=end, preset=None)

    def to_params(self) -> list[tuple[str, str]]:
        """The URL parameters of this question, in a stable order (`cost_query_parse` reads them back)."""
        params: list[tuple[str, str]] = []
        if self.preset is not None:
            params.append(("range", self.preset.value))
        else:
            params += [("start", self.start.isoformat()), ("end", self.end.isoformat())]
        params.append(("granularity", self.granularity.value))
        params.append(("group_by", self.group_by or "none"))
        for f in sorted(self.filters, key=lambda f: (f.exclude, f.dimension)):
            prefix = "exclude." if f.exclude else "include."
            params += [(prefix + f.dimension, value) for value in f.values]
        params.append(("basis", str(self.basis)))
        return params

    def to_querystring(self) -> str:
        return urlencode(self.to_params())


def tag_key_of(dimension: str) -> str | None:
    return dimension[len(TAG_PREFIX) :] if dimension.startswith(TAG_PREFIX) else None


def dimension_label(dimension: str) -> str:
    key = tag_key_of(dimension)
    if key is not None:
        return f"Tag: {key}"
    return str(dict(Dimension.choices).get(dimension, dimension))


def dimension_check(parameter: str, dimension: str) -> str:
    """`dimension` if it names a dimension (a known one or `tag:<key>`), else QueryError."""
    key = tag_key_of(dimension)
    if key is not None:
        if not key.strip() or len(key) > MAX_TAG_KEY_LENGTH:
            raise QueryError(
                parameter, f"a tag dimension is tag:<key> with a key of 1 to {MAX_TAG_KEY_LENGTH} characters"
            )
        return dimension
    if dimension not in Dimension.values:
        known = ", ".join(Dimension.values)
        raise QueryError(parameter, f"unknown dimension {dimension!r}; use one of {known}, or tag:<key>")
    return dimension


def _date(parameter: str, text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text.strip())
    except ValueError:
        raise QueryError(parameter, f"{text!r} is not a date; use YYYY-MM-DD") from None


def _one(params: Mapping[str, list[str]], name: str) -> str | None:
    values = params.get(name) or []
    if len(values) > 1:
        raise QueryError(name, "give it once")
    return values[0] if values else None


def cost_query_parse(
    params: Mapping[str, list[str]],
    *,
    today: datetime.date,
    default_granularity: Granularity | None = None,
    ignore: Iterable[str] = (),
) -> CostQuery:
    """Read a cost question from URL parameters (name -> list of values, like `QueryDict.lists()`).

    Missing parameters take defaults (last 90 days, by service, billed cost); anything present
    and wrong raises QueryError. Parameters in `ignore` (a page's own, like `cursor`) are
    skipped; any other unknown parameter is an error too, so a typo never silently widens a view.
    """
    ignored = set(ignore)
    preset_text = _one(params, "range")
    start_text, end_text = _one(params, "start"), _one(params, "end")
    preset: Preset | None = None
    if preset_text and (start_text or end_text):
        raise QueryError("range", "give either range or start and end, not both")
    if start_text or end_text:
        if not (start_text and end_text):
            raise QueryError("start" if not start_text else "end", "give both start and end (YYYY-MM-DD)")
        start, end = _date("start", start_text), _date("end", end_text)
    else:
        try:
            preset = Preset(preset_text) if preset_text else DEFAULT_PRESET
        except ValueError:
            known = ", ".join(p.value for p in Preset)
            raise QueryError("range", f"unknown range {preset_text!r}; use one of {known}") from None
        start, end = preset_range(preset, today=today)
    if end < start:
        raise QueryError("end", f"{end} is before start {start}")
    days = (end - start).days + 1
    if days > MAX_RANGE_DAYS:
        raise QueryError("end", f"the range is {days} days; at most {MAX_RANGE_DAYS} days (3 years) at a time")

    granularity_text = _one(params, "granularity")
    if granularity_text:
        try:
            granularity = Granularity(granularity_text)
        except ValueError:
            raise QueryError(
                "granularity", f"unknown granularity {granularity_text!r}; use day, week or month"
            ) from None
    else:
        granularity = default_granularity or _granularity_for(days)
    if granularity == Granularity.DAY and days > MAX_DAILY_DAYS:
        raise QueryError("granularity", f"daily over {days} days is too many bars; use week or month")

    group_text = _one(params, "group_by")
    group_by: str | None = Dimension.SERVICE
    if group_text is not None:
        group_by = None if group_text in ("", "none") else dimension_check("group_by", group_text)

    basis_text = _one(params, "basis") or CostBasis.BILLED
    if basis_text not in CostBasis.values:
        raise QueryError("basis", f"unknown cost basis {basis_text!r}; use one of {', '.join(CostBasis.values)}")

    filters: list[DimensionFilter] = []
    reserved = {"range", "start", "end", "granularity", "group_by", "basis"} | ignored
    for name, values in params.items():
        if name in reserved:
            continue
        for prefix, exclude in (("include.", False), ("exclude.", True)):
            if name.startswith(prefix):
                dimension = dimension_check(name, name[len(prefix) :])
                filters.append(DimensionFilter(dimension, _filter_values(name, values), exclude))
                break
        else:
            raise QueryError(
                name, "unknown parameter; filters are include.<dimension>=<value> or exclude.<dimension>=<value>"
            )
    return CostQuery(
        start=start,
        end=end,
        granularity=granularity,
        group_by=group_by,
        filters=tuple(sorted(filters, key=lambda f: (f.exclude, f.dimension))),
        basis=basis_text,
        preset=preset,
    )


def _filter_values(name: str, values: list[str]) -> tuple[str, ...]:
    if len(values) > MAX_FILTER_VALUES:
        raise QueryError(name, f"at most {MAX_FILTER_VALUES} values per dimension")
    for value in values:
        if len(value) > MAX_VALUE_LENGTH:
            raise QueryError(name, f"a value is longer than {MAX_VALUE_LENGTH} characters")
    return tuple(dict.fromkeys(values))  # unique, in the order given


def _granularity_for(days: int) -> Granularity:
    if days <= 62:
        return Granularity.DAY
    if days <= 200:
        return Granularity.WEEK
    return Granularity.MONTH


def buckets(query: CostQuery) -> list[datetime.date]:
    """The first day of every bucket (day, ISO week from Monday, or month) the range touches."""
    starts = []
    day = bucket_of(query.start, query.granularity)
    while day <= query.end:
        starts.append(day)
        if query.granularity == Granularity.DAY:
            day += datetime.timedelta(days=1)
        elif query.granularity == Granularity.WEEK:
            day += datetime.timedelta(days=7)
        else:
            day = months_back(day, -1)
    return starts


def bucket_of(day: datetime.date, granularity: Granularity) -> datetime.date:
    if granularity == Granularity.DAY:
        return day
    if granularity == Granularity.WEEK:
        return day - datetime.timedelta(days=day.weekday())
    return month_start(day)


def bucket_range(bucket: datetime.date, query: CostQuery) -> tuple[datetime.date, datetime.date]:
    """The days of one bucket that lie inside the question's range (edges are partial)."""
    if query.granularity == Granularity.DAY:
        last = bucket
    elif query.granularity == Granularity.WEEK:
        last = bucket + datetime.timedelta(days=6)
    else:
        last = month_end(bucket)
    return max(bucket, query.start), min(last, query.end)
