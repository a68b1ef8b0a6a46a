from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tenants.access import request_membership


def section(request: HttpRequest, title: str) -> HttpResponse:
    request_membership(request)
    return render(request, "section_placeholder.html", {"title": title})


def costs(request: HttpRequest) -> HttpResponse:
    return section(request, "Costs")


def anomalies(request: HttpRequest) -> HttpResponse:
    return section(request, "Anomalies")


def accounts(request: HttpRequest) -> HttpResponse:
    return section(request, "Accounts")
