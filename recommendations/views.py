from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tenants.access import request_membership


def recommendations(request: HttpRequest) -> HttpResponse:
    request_membership(request)
    return render(request, "section_placeholder.html", {"title": "Recommendations"})
