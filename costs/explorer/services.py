"""Writes of the explorer app: saved views (create, rename, delete), one transaction each.

Who may change a saved view: its creator, and the organization's owners and admins. Every
member may save views and open anyone's (they are shared within the organization).
"""

from __future__ import annotations

import datetime
from typing import Any
from urllib.parse import parse_qs

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from costs.explorer.models import SavedView
from costs.selectors import QueryError, cost_query_parse
from finops.validators import validate_single_line_text


def saved_view_can_change(*, view: SavedView, membership: Any) -> bool:
    """The creator and owners/admins may rename or delete a view; other members may only use it."""
    return bool(membership.can_manage or (view.created_by_id is not None and view.created_by_id == membership.user_id))


def saved_view_query_clean(query_string: str, *, today: datetime.date) -> str:
    """The explorer query string in its stable form, or ValidationError naming what is wrong."""
    params = parse_qs(query_string.lstrip("?"), keep_blank_values=True)
    try:
        query = cost_query_parse(params, today=today)
    except QueryError as error:
        raise ValidationError({"query": f"{error.parameter}: {error.message}"}) from None
    return query.to_querystring()


def _name_clean(name: str, *, exclude_id: int | None = None) -> str:
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the view a name."})
    try:
        validate_single_line_text(name)
    except ValidationError as error:
        raise ValidationError({"name": error.messages}) from None
    if len(name) > 200:
        raise ValidationError({"name": "At most 200 characters."})
    taken = SavedView.objects.filter(name__iexact=name)
    if exclude_id is not None:
        taken = taken.exclude(pk=exclude_id)
    if taken.exists():
        raise ValidationError({"name": f"A view named “{name}” already exists; choose another name."})
    return name


def _save_unique(view: SavedView, **options: Any) -> None:
    # Two members saving the same name at once: the unique index decides, and the loser gets the form error.
    try:
        with transaction.atomic():
            view.save(**options)
    except IntegrityError:
        raise ValidationError({"name": f"A view named “{view.name}” already exists; choose another name."}) from None


@transaction.atomic
def saved_view_create(
    *, membership: Any, name: str, query_string: str, today: datetime.date | None = None
) -> SavedView:
    """Save an explorer question under a name (unique in the organization, case-insensitively)."""
    query = saved_view_query_clean(query_string, today=today or timezone.now().date())
    view = SavedView(name=_name_clean(name), query=query, created_by_id=membership.user_id)
    _save_unique(view)
    return view


@transaction.atomic
def saved_view_rename(*, membership: Any, view: SavedView, name: str) -> SavedView:
    """Rename a view (its creator, or an owner or admin)."""
    if not saved_view_can_change(view=view, membership=membership):
        raise PermissionDenied("Only the view's creator, owners and admins can rename it.")
    view.name = _name_clean(name, exclude_id=view.pk)
    view.updated_at = timezone.now()
    _save_unique(view, update_fields=["name", "updated_at"])
    return view


@transaction.atomic
def saved_view_delete(*, membership: Any, view: SavedView) -> None:
    """Delete a view (its creator, or an owner or admin)."""
    if not saved_view_can_change(view=view, membership=membership):
        raise PermissionDenied("Only the view's creator, owners and admins can delete it.")
    view.delete()
