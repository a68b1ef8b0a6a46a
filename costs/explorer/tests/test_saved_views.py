"""Saved views: save from the explorer, list, open, rename, delete; shared within the organization,
changed only by their creator or an owner/admin; names and questions validated; strangers get 404."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from costs.explorer.models import SavedView

QUERY = "range=last_30_days&granularity=day&group_by=tag%3Ateam&include.service_name=AWS+Lambda&basis=effective_cost"


def views_of(world: Any) -> list[SavedView]:
    connection.set_tenant(world.organization)  # type: ignore[attr-defined]
    return list(SavedView.objects.all())


def save(client: Any, name: str, query: str = QUERY) -> Any:
    return client.post("/costs/views/save/", {"name": name, "query": query})


def test_a_member_saves_the_explorer_question_and_everyone_in_the_organization_can_open_it(
    org_a: Any, client_for: Any
) -> None:
    viewer = client_for(org_a.viewer, org_a)
    page = viewer.get(f"/costs/?{QUERY}")
    assert b'id="save-view"' in page.content and QUERY.replace("&", "&amp;").encode() in page.content
    response = save(viewer, "Lambda by team")
    assert response.status_code == 302
    (view,) = views_of(org_a)
    assert view.name == "Lambda by team" and view.created_by_id == org_a.viewer.pk
    assert response["Location"] == f"/costs/?{view.query}"
    assert "include.service_name=AWS+Lambda" in view.query and "basis=effective_cost" in view.query

    owner = client_for(org_a.owner, org_a)
    listing = owner.get("/costs/views/")
    assert (
        b"Lambda by team" in listing.content
        and b"Last 30 days, by tag: team, effective (amortized) cost" in listing.content
    )
    opened = owner.get(f"/costs/views/{view.pk}/")
    assert opened.status_code == 302 and opened["Location"] == f"/costs/?{view.query}"
    explorer = owner.get(opened["Location"])
    assert explorer.status_code == 200 and explorer.context["query"].group_by == "tag:team"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("lambda BY team", "already exists"),
        ("Lambda\nby team", "control character"),
        ("evil\u202etxt", "control character"),
        ("   ", "Give the view a name"),
    ],
)
def test_a_duplicate_or_control_character_name_is_a_form_error(
    org_a: Any, client_for: Any, name: str, message: str
) -> None:
    client = client_for(org_a.owner, org_a)
    assert save(client, "Lambda by team").status_code == 302
    response = save(client, name)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert len(views_of(org_a)) == 1


def test_a_question_the_explorer_refuses_is_not_saved(org_a: Any, client_for: Any) -> None:
    response = save(client_for(org_a.owner, org_a), "Colours", "group_by=colour")
    assert response.status_code == 400
    assert "group_by: unknown dimension" in response.content.decode()
    assert views_of(org_a) == []


def test_the_creator_renames_and_deletes_their_view(org_a: Any, client_for: Any) -> None:
    viewer = client_for(org_a.viewer, org_a)
    save(viewer, "Mine")
    (view,) = views_of(org_a)
    assert viewer.get(f"/costs/views/{view.pk}/rename/").status_code == 200
    assert viewer.post(f"/costs/views/{view.pk}/rename/", {"name": "Still mine"}).status_code == 302
    assert [v.name for v in views_of(org_a)] == ["Still mine"]
    save(viewer, "Other")
    clash = viewer.post(f"/costs/views/{view.pk}/rename/", {"name": "OTHER"})
    assert clash.status_code == 400 and "already exists" in clash.content.decode()
    assert viewer.post(f"/costs/views/{view.pk}/delete/").status_code == 302
    assert [v.name for v in views_of(org_a)] == ["Other"]


def test_a_viewer_uses_others_views_but_cannot_rename_or_delete_them(org_a: Any, client_for: Any) -> None:
    save(client_for(org_a.owner, org_a), "Owner's view")
    (view,) = views_of(org_a)
    viewer = client_for(org_a.viewer, org_a)
    listing = viewer.get("/costs/views/")
    assert b"Owner&#x27;s view" in listing.content and b"only its creator or an admin can change it" in listing.content
    assert f"/costs/views/{view.pk}/delete/".encode() not in listing.content
    assert viewer.get(f"/costs/views/{view.pk}/").status_code == 302
    assert viewer.get(f"/costs/views/{view.pk}/rename/").status_code == 403
    assert viewer.post(f"/costs/views/{view.pk}/rename/", {"name": "Mine now"}).status_code == 403
    assert viewer.post(f"/costs/views/{view.pk}/delete/").status_code == 403
    assert [v.name for v in views_of(org_a)] == ["Owner's view"]


def test_an_admin_manages_every_members_views(org_a: Any, client_for: Any) -> None:
    save(client_for(org_a.viewer, org_a), "Viewer's view")
    (view,) = views_of(org_a)
    admin = client_for(org_a.admin, org_a)
    assert admin.post(f"/costs/views/{view.pk}/rename/", {"name": "Team view"}).status_code == 302
    assert [v.name for v in views_of(org_a)] == ["Team view"]
    assert admin.post(f"/costs/views/{view.pk}/delete/").status_code == 302
    assert views_of(org_a) == []


def test_delete_takes_a_post_only(org_a: Any, client_for: Any) -> None:
    client = client_for(org_a.owner, org_a)
    save(client, "Keep")
    (view,) = views_of(org_a)
    assert client.get(f"/costs/views/{view.pk}/delete/").status_code == 405
    assert len(views_of(org_a)) == 1


def test_another_organizations_user_gets_404_on_every_saved_view_url(org_a: Any, org_b: Any, client_for: Any) -> None:
    save(client_for(org_a.owner, org_a), "Secret plan")
    (view,) = views_of(org_a)
    stranger = client_for(org_b.owner, org_a)
    for method, path in [
        ("get", "/costs/views/"),
        ("post", "/costs/views/save/"),
        ("get", f"/costs/views/{view.pk}/"),
        ("get", f"/costs/views/{view.pk}/rename/"),
        ("post", f"/costs/views/{view.pk}/rename/"),
        ("post", f"/costs/views/{view.pk}/delete/"),
    ]:
        response = getattr(stranger, method)(path, {"name": "Mine", "query": QUERY} if method == "post" else None)
        assert response.status_code == 404, (method, path)
        assert b"Secret plan" not in response.content
    # Their own organization's ids do not reach this one either.
    own = client_for(org_b.owner, org_b)
    assert own.get(f"/costs/views/{view.pk}/").status_code == 404
    assert [v.name for v in views_of(org_a)] == ["Secret plan"]


def test_the_list_says_how_to_save_a_view_when_there_is_none(
    org_a: Any, client_for: Any, django_assert_max_num_queries: Any
) -> None:
    client = client_for(org_a.viewer, org_a)
    assert b"No saved views yet" in client.get("/costs/views/").content
    for i in range(5):
        save(client_for(org_a.owner, org_a), f"View {i}")
    with django_assert_max_num_queries(10):
        response = client.get("/costs/views/")
    assert response.content.count(b'class="open-view"') == 5


def test_a_name_taken_between_the_check_and_the_insert_is_a_form_error_not_a_500(org_a: Any) -> None:
    from django.core.exceptions import ValidationError

    from costs.explorer.services import _save_unique

    views_of(org_a)  # on the organization's schema
    SavedView.objects.create(name="Race", query=QUERY)
    with pytest.raises(ValidationError) as caught:
        _save_unique(SavedView(name="RACE", query=QUERY))
    assert "already exists" in str(caught.value.message_dict["name"])
    assert SavedView.objects.count() == 1
