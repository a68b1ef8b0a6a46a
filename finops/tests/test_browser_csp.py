"""Every page, in a real Chromium, obeys the Content-Security-Policy (issue 14 item 4).

The walk is built, not listed: every parameterless GET route of the public and organization
URL confs (so a new page is walked without editing this test), every same-host link found on
the pages walked (one visit per path: anomaly, recommendation, job and source pages come from
there), and a few explicit URLs with data behind them (the explorer over the bill's months).
A violation is seen twice: as the `securitypolicyviolation` event and as Chromium's console
message; the failure lists the page and the directive for each.
"""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern
from django_tenants.utils import tenant_context
from playwright.sync_api import Error as PlaywrightError

from costs.models import IngestionJob
from costs.monitoring.models import Anomaly, Monitor, MonitorDimension
from costs.monitoring.services.runs import monitoring_run
from costs.monitoring.tests.conftest import crafted_bill, day_of
from finops.testing_browser import chromium, wait_until
from recommendations.models import Recommendation
from recommendations.services.rationale import rationales_refresh
from recommendations.tests.crafted import stored
from tenants.services.handoff import handoff_url_create

pytestmark = pytest.mark.browser

# Paths a walk must not GET: they end the session, switch organization or consume a token.
NOT_WALKED = ("/accounts/logout/", "/switch/", "/auth/handoff/", "/go/", "/invitations/", "/signup/confirm/")
MAX_PAGES = 150

LISTEN = """
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolation(JSON.stringify({
    directive: e.effectiveDirective || e.violatedDirective, blocked: e.blockedURI,
    source: e.sourceFile, line: e.lineNumber, sample: e.sample,
  }));
});
"""


def gettable(client: Client, paths: Iterator[str]) -> list[str]:
    """`paths` that answer GET with HTML: no POST-only route (an empty 405), no download."""
    pages = []
    for path in paths:
        if path.startswith(NOT_WALKED):
            continue
        response = client.get(path)
        if response.status_code != 405 and response.get("Content-Type", "").startswith("text/html"):
            pages.append(path)
    return pages


def parameterless_routes(urlconf: str) -> Iterator[str]:
    """'/'-rooted paths of every route in `urlconf` that takes no argument."""

    def walk(patterns: list[Any], prefix: str) -> Iterator[str]:
        for entry in patterns:
            pattern = entry.pattern
            if isinstance(pattern, RoutePattern):
                if pattern.converters:
                    continue
                part = str(pattern)
            elif isinstance(pattern, RegexPattern):
                if pattern.regex.groups:
                    continue
                part = str(pattern).lstrip("^").rstrip("$").replace("\\", "")
                if any(c in part for c in "()[]*+?|{}"):
                    continue
            else:
                continue
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, prefix + part)
            elif isinstance(entry, URLPattern):
                yield "/" + prefix + part

    return walk(get_resolver(urlconf).url_patterns, "")


class Walker:
    def __init__(self, page: Any, origin: str) -> None:
        self.page = page
        self.origin = origin
        self.current = ""
        self.seen_paths: set[str] = set()
        self.visited: list[str] = []
        self.violations: list[str] = []
        self.errors: list[str] = []
        page.expose_function("__cspViolation", self._event)
        page.add_init_script(LISTEN)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"{self.current}: {error}"))

    def _event(self, text: str) -> None:
        self.violations.append(f"{self.current}: event {text}")

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text:
            self.violations.append(f"{self.current}: console {message.text}")
        elif message.type == "error" and "favicon" not in message.text and "status of 404" not in message.text:
            self.errors.append(f"{self.current}: console {message.text}")

    def visit(self, url: str) -> list[str]:
        """Load `url`, let its scripts run; the same-host links on it."""
        self.current = url
        self.visited.append(url)
        self.seen_paths.add(urlsplit(url).path)
        try:
            response = self.page.goto(url, wait_until="load")
        except PlaywrightError as error:
            if "Download is starting" not in str(error):
                raise
            self.page.goto("about:blank")
            return []  # a file, not a page (the API schema answers a browser with a download)
        if response is None or "text/html" not in (response.headers.get("content-type") or ""):
            return []
        if self.page.locator("canvas.cost-chart").count():
            wait_until(self.page, "() => document.querySelector('canvas.cost-chart').chart !== undefined")
        hrefs: list[str] = self.page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
        return [h.split("#")[0] for h in hrefs if h.startswith(self.origin + "/")]

    def crawl(self, start: list[str]) -> None:
        queue = [(url, True) for url in start]
        while queue and len(self.visited) < MAX_PAGES:
            url, explicit = queue.pop(0)
            path = urlsplit(url).path
            if url in self.visited or path.startswith(NOT_WALKED):
                continue
            # A found link is walked once per path (not per query string), and only when it is a page.
            if not explicit and (path in self.seen_paths or path.endswith((".csv", ".json")) or "/static/" in path):
                continue
            for link in self.visit(url):
                if urlsplit(link).path not in self.seen_paths:
                    queue.append((link, False))


def test_every_page_obeys_the_content_security_policy(
    live_server: Any, settings: Any, committed_org: Any, client_for: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.PUBLIC_PORT = live_server.url.rsplit(":", 1)[1]
    settings.RECOMMENDATIONS_PROVIDER = "offline"
    acme = committed_org("acme")
    call_command("ingest_file", "--org", "acme", str(crafted_bill(tmp_path / "bill.csv", days=112)), stdout=StringIO())
    with tenant_context(acme.organization):
        Monitor.objects.create(name="Total spend", dimension=MonitorDimension.TOTAL)
        monitoring_run(trigger="test", today=day_of(110))
        anomaly = Anomaly.objects.first()
        run = stored(3)
        run.provider = "offline"
        rationales_refresh(run=run)
        recommendation = Recommendation.objects.first()
        job = IngestionJob.objects.first()
    assert anomaly is not None and recommendation is not None and job is not None
    org = f"http://acme.localhost:{settings.PUBLIC_PORT}"
    public = f"http://localhost:{settings.PUBLIC_PORT}"
    first, last = day_of(0).isoformat(), day_of(111).isoformat()
    explicit = [
        f"{org}/",
        f"{org}/costs/?start={first}&end={last}&granularity=month",
        f"{org}/costs/?start={first}&end={last}&granularity=day&group_by=service_name",
        f"{org}/costs/line-items/?start={first}&end={last}",
        f"{org}/anomalies/{anomaly.pk}/",
        f"{org}/recommendations/{recommendation.pk}/",
        f"{org}/cloud-accounts/jobs/{job.pk}/",
        f"{org}/cloud-accounts/sources/{job.source_id}/",
    ]

    with chromium() as browser:
        signed_in = Walker(browser.new_context().new_page(), org)
        signed_in.page.goto(handoff_url_create(user=acme.owner, organization=acme.organization))
        routes = gettable(client_for(acme.owner, acme), parameterless_routes("finops.urls_tenants"))
        signed_in.crawl(explicit + [org + path for path in routes])

        visitor = Walker(browser.new_context().new_page(), public)
        routes = gettable(Client(HTTP_HOST="localhost"), parameterless_routes("finops.urls_public"))
        visitor.crawl([public + path for path in routes])
        anonymous = Walker(browser.new_context().new_page(), org)
        anonymous.crawl([f"{org}/accounts/login/"])

    walkers = (signed_in, visitor, anonymous)
    visited = [url for walker in walkers for url in walker.visited]
    print(f"walked {len(visited)} pages: " + " ".join(visited))
    for must in ("/costs/", "/anomalies/monitors/", "/anomalies/budgets/", "/recommendations/ai-logs/", "/members/"):
        assert f"{org}{must}" in visited, f"{must} was not walked"
    for must in ("/cloud-accounts/", "/cloud-accounts/upload/", "/settings/", "/api-keys/"):
        assert f"{org}{must}" in visited, f"{must} was not walked"
    assert any("/cloud-accounts/jobs/" in url for url in visited)
    assert any("/cloud-accounts/sources/" in url for url in visited)
    assert f"{public}/" in visited and f"{public}/signup/" in visited and f"{public}/accounts/login/" in visited
    violations = [v for walker in walkers for v in walker.violations]
    assert violations == [], "CSP violations:\n" + "\n".join(violations)
    errors = [e for walker in walkers for e in walker.errors]
    assert errors == [], "script errors:\n" + "\n".join(errors)
