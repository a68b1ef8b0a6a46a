from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tenants.access import organization_page


@organization_page
def recommendations(request: HttpRequest) -> HttpResponse:
    return render(request, "section_placeholder.html", {"title": "Recommendations"})
