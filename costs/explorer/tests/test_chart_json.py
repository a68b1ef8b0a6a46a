"""The charts' data reaches the page exactly as Django's json_script would put it there."""

from __future__ import annotations

from django.utils.html import json_script

from costs.explorer.templatetags.chart_json import chart_json


def test_chart_json_is_json_script() -> None:
    data = {
        "labels": ["01 Dec 2026", "</script><script>alert(1)</script>"],
        "series": [{"name": "R&D <team>", "values": [1.5, None], "links": ["/costs/line-items/?a=1&b=2"]}],
        "unicode": "café ✓",
    }
    assert str(chart_json(data, "chart-0")) == str(json_script(data, "chart-0"))
    assert "</script><script>" not in str(chart_json(data, "chart-0"))
