"""Playwright helpers for browser tests: Debian's Chromium, never a downloaded browser.

`FINOPS_CHROMIUM` names another Chromium binary; `FINOPS_CHROMIUM=playwright` uses the browser
`playwright install` downloaded (GitHub's hosted runners, where `chromium` is a snap stub).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@contextmanager
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    choice = os.environ.get("FINOPS_CHROMIUM", "")
    executable = None if choice == "playwright" else choice or shutil.which("chromium")
    if executable is None and choice != "playwright":
        raise RuntimeError("Debian's chromium is not installed: run `make system-deps`")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()
            # Inside sync_playwright the test runs in another context, where Django opens
            # connections of its own; closed here, or they outlive the test on the database.
            from django.db import connections

            connections.close_all()


def wait_until(page: Any, function: str, *, timeout: float = 30.0) -> None:
    """Poll `function` (JavaScript, e.g. "() => ...") in the page until it returns something truthy.

    Not `page.wait_for_function`: its polling builds the predicate with eval, which the product's
    Content-Security-Policy (script-src 'self') refuses, so it fails whenever the condition is not
    already true at the first check. `page.evaluate` is not subject to the page's policy.
    """
    import time

    deadline = time.monotonic() + timeout
    while not page.evaluate(function):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout:.0f} s: {function}")
        page.wait_for_timeout(100)
