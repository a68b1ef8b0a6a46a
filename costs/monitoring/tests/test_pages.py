"""Monitoring pages: members see them, strangers get 404."""

from __future__ import annotations

from typing import Any


def test_the_anomalies_page_is_a_placeholder_for_members(org_a: Any, client_for: Any) -> None:
    response = client_for(org_a.viewer, org_a).get("/anomalies/")
    assert response.status_code == 200
    assert b"<h1>Anomalies</h1>" in response.content


def test_a_user_of_another_organization_gets_404_on_the_anomalies_page(org_a: Any, org_b: Any, client_for: Any) -> None:
    assert client_for(org_b.owner, org_a).get("/anomalies/").status_code == 404
