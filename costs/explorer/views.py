"""Pages of the explorer app: the organization's home dashboard; Costs is a placeholder for now."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from costs.selectors import home_summary
from finops.home_panels import home_panels
from tenants.access import request_membership


def home(request: HttpRequest) -> HttpResponse:
    membership = request_membership(request)
    context = {"summary": home_summary(), "membership": membership, "panels": home_panels(request)}
    return render(request, "explorer/home.html", context)


def costs(request: HttpRequest) -> HttpResponse:
    request_membership(request)
    return render(request, "section_placeholder.html", {"title": "Costs"})
