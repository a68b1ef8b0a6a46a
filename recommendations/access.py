"""Scoped lookups for recommendation pages: outsiders get 404, viewers may look but not act."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from recommendations import selectors
from recommendations.models import Recommendation
from tenants.access import request_membership, scoped_get
from tenants.models import Membership, Role


def recommendation_get(request: HttpRequest, recommendation_id: int) -> Recommendation:
    """A recommendation of the request's organization (its schema); 404 for anyone else."""
    return scoped_get(request, selectors.recommendations_with_details(), pk=recommendation_id)


def can_act(membership: Membership) -> bool:
    """Owners, admins and members work recommendations; viewers only read them."""
    return membership.role != Role.VIEWER


def require_actor(request: HttpRequest) -> Membership:
    membership = request_membership(request)
    if not can_act(membership):
        raise PermissionDenied("Viewers cannot change recommendations.")
    return membership
