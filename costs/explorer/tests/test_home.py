"""The organization home page: the bill's figures for members, a way in before data arrives, 404 for strangers."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command

FOCUS_SMALL = Path(settings.BASE_DIR) / "costs" / "tests" / "fixtures" / "focus_small.csv"


def test_before_any_cost_data_the_home_page_says_how_to_get_started(org_a: Any, client_for: Any) -> None:
    response = client_for(org_a.viewer, org_a).get("/")
    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "explorer/home.html"
    assert b"Get started" in response.content
    assert b"You are viewer of this organization." in response.content


def test_with_cost_data_the_home_page_shows_the_dashboard(org_a: Any, client_for: Any) -> None:
    call_command("ingest_file", "--org", "acme", str(FOCUS_SMALL), stdout=StringIO())
    response = client_for(org_a.owner, org_a).get("/")
    assert response.status_code == 200
    assert response.context["dashboard"] is not None
    assert b"Data freshness" in response.content
    # The file's bills are from 2025: the page says so and links to the latest billed month.
    assert b"No charges this month or last" in response.content
    assert b"/costs/?start=2025-03-01&amp;end=2025-03-02" in response.content
    assert b"Get started" not in response.content


def test_before_any_cost_data_the_explorer_says_how_to_get_data(org_a: Any, client_for: Any) -> None:
    response = client_for(org_a.viewer, org_a).get("/costs/")
    assert response.status_code == 200
    assert b"<h1>Cost explorer</h1>" in response.content
    assert b"No bill has arrived yet" in response.content


def test_a_user_of_another_organization_gets_404_on_the_explorer_pages(org_a: Any, org_b: Any, client_for: Any) -> None:
    call_command("ingest_file", "--org", "acme", str(FOCUS_SMALL), stdout=StringIO())
    stranger = client_for(org_b.owner, org_a)
    for path in ("/", "/costs/"):
        response = stranger.get(path)
        assert response.status_code == 404
        assert b"Data freshness" not in response.content


def test_the_home_page_renders_the_panels_apps_register(org_a: Any, client_for: Any) -> None:
    from finops import home_panels

    home_panels.home_panel_register(
        "test-panel", lambda request: home_panels.HomePanel("section_placeholder.html", {"title": "x"}), order=999
    )
    try:
        response = client_for(org_a.viewer, org_a).get("/")
    finally:
        home_panels._providers.pop("test-panel")
    assert response.status_code == 200
    assert b"Nothing here yet for" in response.content
