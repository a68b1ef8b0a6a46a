"""Actual vs expected as an SVG drawn on the server: no script, no inline style (strict CSP), a table beside it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

WIDTH, HEIGHT, PAD = 720, 220, 30
EXPLORER_DIMENSIONS = {
    "account": "sub_account_id",
    "service": "service_name",
    "region": "region",
    "usage_type": "usage_type",
    "resource": "resource_id",
}


def anomaly_chart(daily: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Polylines for actual and expected, and the anomaly's days as a shaded band."""
    if not daily:
        return None
    amounts = [Decimal(d[k]) for d in daily for k in ("actual", "expected") if d[k] is not None]
    top = max(amounts, default=Decimal(1)) or Decimal(1)
    step = (WIDTH - 2 * PAD) / max(1, len(daily) - 1)

    def y(value: str) -> float:
        return round(HEIGHT - PAD - float(Decimal(value) / top) * (HEIGHT - 2 * PAD), 1)

    def line(key: str) -> str:
        return " ".join(f"{round(PAD + i * step, 1)},{y(d[key])}" for i, d in enumerate(daily) if d[key] is not None)

    inside = [i for i, d in enumerate(daily) if d.get("in_anomaly")]
    band = None
    if inside:
        band = {
            "x": round(PAD + inside[0] * step - step / 2, 1),
            "width": round((inside[-1] - inside[0] + 1) * step, 1),
        }
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "actual": line("actual"),
        "expected": line("expected"),
        "band": band,
        "top": top,
        "first": daily[0]["day"],
        "last": daily[-1]["day"],
        "baseline_y": HEIGHT - PAD,
        "band_height": HEIGHT - 2 * PAD,
        "pad": PAD,
    }


def explorer_link(dimensions: dict[str, str], *, start: str, end: str, basis: str = "billed_cost") -> str:
    """The explorer (costs.explorer's URL format) filtered to one root-cause row, by day, grouped one level down."""
    group_by = "resource_id" if "resource" not in dimensions else "usage_type"
    params: list[tuple[str, str]] = [("start", start), ("end", end), ("granularity", "day"), ("group_by", group_by)]
    for key, value in dimensions.items():
        if value and key in EXPLORER_DIMENSIONS:
            params.append((f"include.{EXPLORER_DIMENSIONS[key]}", value))
    params.append(("basis", basis))
    return "/costs/?" + urlencode(params)
