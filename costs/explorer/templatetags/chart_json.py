"""`{{ data|chart_json:"element-id" }}`: Django's json_script, escaped with str.replace.

json_script escapes <, > and & with one `str.translate` over the whole JSON, which walks it a
character at a time through a dict: ~10 ms for a 90-day chart's data (its bars carry drill-down
links). Three `str.replace` calls give the same text in well under a millisecond.
"""

from __future__ import annotations

import json
from typing import Any

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.filter(is_safe=True)
def chart_json(value: Any, element_id: str) -> SafeString:
    text = json.dumps(value, cls=DjangoJSONEncoder)
    text = text.replace("&", "\\u0026").replace("<", "\\u003C").replace(">", "\\u003E")
    return format_html('<script id="{}" type="application/json">{}</script>', element_id, mark_safe(text))  # noqa: S308
