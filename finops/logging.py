"""Request context (request id, organization, user) carried into every log record."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from contextvars import ContextVar

_context: ContextVar[dict[str, str | None] | None] = ContextVar("finops_log_context", default=None)


@contextlib.contextmanager
def request_context(**values: str | None) -> Iterator[None]:
    token = _context.set({**(_context.get() or {}), **values})
    try:
        yield
    finally:
        _context.reset(token)


def current_context() -> dict[str, str | None]:
    return dict(_context.get() or {})


def bind(**values: str | None) -> None:
    """Add values (e.g. the user once authenticated) to the current context."""
    _context.set({**(_context.get() or {}), **values})


class RequestContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        context = _context.get()
        if not context:
            # Django logs 4xx/5xx responses after the middleware chain has returned, outside
            # the context; those records carry the request, which keeps a copy of it.
            context = getattr(getattr(record, "request", None), "log_context", None) or {}
        for key in ("request_id", "organization", "user"):
            setattr(record, key, context.get(key))
        return True
