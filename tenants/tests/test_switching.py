from __future__ import annotations

from typing import Any

from tenants.models import Membership


def test_a_user_of_two_organizations_switches_between_them(org_a: Any, org_b: Any, client_for: Any) -> None:
    Membership.objects.create(user=org_a.owner, organization=org_b.organization, role="member")
    client = client_for(org_a.owner, org_a)

    home = client.get("/")
    assert b"Globex" in home.content  # the switcher lists both

    response = client.get("/switch/globex/")
    assert response.status_code == 302
    target = response["Location"]
    assert target.startswith("http://globex.localhost:8000/auth/handoff/?token=")

    from django.test import Client

    other_host = Client(HTTP_HOST="globex.localhost")
    landed = other_host.get(target.split(":8000")[1], follow=True)
    assert landed.status_code == 200
    assert landed.context["organization"].slug == "globex"


def test_switching_to_an_organization_you_do_not_belong_to_is_404(org_a: Any, org_b: Any, client_for: Any) -> None:
    assert client_for(org_a.owner, org_a).get("/switch/globex/").status_code == 404


def test_a_handoff_ticket_for_one_organization_is_useless_on_another(org_a: Any, org_b: Any) -> None:
    from django.test import Client

    from tenants.services.handoff import handoff_url_create

    url = handoff_url_create(user=org_a.owner, organization=org_a.organization)
    response = Client(HTTP_HOST="globex.localhost").get(url.split(":8000")[1])
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
