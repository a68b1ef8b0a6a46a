"""OpenAPI post-processing: the one error body, documented on every operation.

drf-spectacular describes each view's success responses; the errors every operation can give
(401 no or bad credentials, 403 read-only, 404 not this organization's, 429 throttled, 400 bad
input where the operation takes any) come from the shared base and are added here, with the
`Error` component, so the document says exactly what clients receive.
"""

from __future__ import annotations

from typing import Any

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Every error of the API has this body.",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {
                    "type": "string",
                    "description": "Machine-readable, e.g. not_found, permission_denied, invalid.",
                },
                "message": {"type": "string", "description": "For people."},
                "fields": {
                    "type": "object",
                    "description": "Per-field messages of an invalid input (empty otherwise).",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
            },
            "required": ["code", "message", "fields"],
        }
    },
    "required": ["error"],
}

ERRORS = {
    "400": "Invalid input (see error.fields).",
    "401": "No credentials, or an unknown, revoked or other organization's API key.",
    "403": "Read-only key or viewer writing, or a session write without its CSRF token.",
    "404": "No such object in this organization (other organizations' ids look exactly like this).",
    "429": "Too many requests for this key or user; retry after the Retry-After header's seconds.",
}
METHODS = ("get", "put", "patch", "post", "delete")


def error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    reference = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for status, description in ERRORS.items():
                if status == "400" and not (operation.get("parameters") or operation.get("requestBody")):
                    continue
                responses.setdefault(status, {"description": description, "content": reference})
    return result
