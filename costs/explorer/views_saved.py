"""Saved views: save the explorer's question under a name, list, open, rename, delete (shared in the organization)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from costs.explorer.forms import SavedViewForm, SavedViewRenameForm
from costs.explorer.models import SavedView
from costs.explorer.saved_views import saved_view_get, saved_view_list
from costs.explorer.services import saved_view_can_change, saved_view_create, saved_view_delete, saved_view_rename
from costs.selectors import PRESET_LABELS, CostBasis, QueryError, cost_query_parse, dimension_label
from tenants.access import organization_memberships, organization_page, request_membership


def _describe(view: SavedView) -> str:
    try:
        query = cost_query_parse(parse_qs(view.query, keep_blank_values=True), today=timezone.now().date())
    except QueryError as error:
        return f"no longer a valid question ({error.parameter}: {error.message})"
    span = PRESET_LABELS[query.preset] if query.preset else f"{query.start:%-d %b %Y} – {query.end:%-d %b %Y}"
    group = dimension_label(query.group_by) if query.group_by else "total"
    filters = f", {len(query.filters)} filter{'s' if len(query.filters) != 1 else ''}" if query.filters else ""
    return f"{span}, by {group.lower()}, {dict(CostBasis.choices)[query.basis].lower()} cost{filters}"


def _errors(error: ValidationError) -> dict[str, list[str]]:
    return error.message_dict if hasattr(error, "error_dict") else {"name": error.messages}


@organization_page
def saved_views(request: HttpRequest) -> HttpResponse:
    membership = request_membership(request)
    emails = {m.user_id: m.user.email for m in organization_memberships(membership.organization)}
    views = [
        {
            "view": view,
            "description": _describe(view),
            "creator": emails.get(view.created_by_id or 0, "a former member"),
            "can_change": saved_view_can_change(view=view, membership=membership),
        }
        for view in saved_view_list()
    ]
    return render(request, "explorer/saved_views.html", {"membership": membership, "views": views})


@organization_page
@require_POST
def saved_view_save(request: HttpRequest) -> HttpResponse:
    membership = request_membership(request)
    form = SavedViewForm(request.POST)
    if form.is_valid():
        try:
            view = saved_view_create(
                membership=membership, name=form.cleaned_data["name"], query_string=form.cleaned_data["query"]
            )
        except ValidationError as error:
            for field, messages in _errors(error).items():
                for message in messages:
                    form.add_error(field if field in form.fields else None, message)
        else:
            return redirect(f"{reverse('costs')}?{view.query}")
    context = {"membership": membership, "form": form, "query": request.POST.get("query", "")}
    return render(request, "explorer/saved_view_save.html", context, status=400)


@organization_page
def saved_view_open(request: HttpRequest, view_id: int) -> HttpResponse:
    view = saved_view_get(request, view_id)
    return HttpResponseRedirect(f"{reverse('costs')}?{view.query}")


@organization_page
def saved_view_rename_page(request: HttpRequest, view_id: int) -> HttpResponse:
    membership = request_membership(request)
    view = saved_view_get(request, view_id)
    if not saved_view_can_change(view=view, membership=membership):
        raise PermissionDenied("Only the view's creator, owners and admins can rename it.")
    form = SavedViewRenameForm(request.POST or None, initial={"name": view.name})
    if request.method == "POST" and form.is_valid():
        try:
            saved_view_rename(membership=membership, view=view, name=form.cleaned_data["name"])
        except ValidationError as error:
            for message in _errors(error).get("name", error.messages):
                form.add_error("name", message)
        else:
            return redirect("saved_views")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "explorer/saved_view_rename.html",
        {"membership": membership, "form": form, "view": view},
        status=status,
    )


@organization_page
@require_POST
def saved_view_delete_page(request: HttpRequest, view_id: int) -> HttpResponse:
    membership = request_membership(request)
    view = saved_view_get(request, view_id)
    saved_view_delete(membership=membership, view=view)
    return redirect("saved_views")


def saved_view_context(query_string: str) -> dict[str, Any]:
    """What the explorer page needs for its "Save this view" form."""
    return {"save_form": SavedViewForm(initial={"query": query_string}), "save_url": reverse("saved_view_save")}
