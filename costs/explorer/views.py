"""Pages of the explorer app: the home dashboard, the cost explorer, drill-down and the table's CSV.

Every page reads the bill through `costs.selectors`; the question lives in the URL (format in
`costs.explorer`), and a wrong parameter gets a page that names it (400), never a 500.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from costs.explorer import selectors as page
from costs.explorer.home_page import home_context, latest_month_url
from costs.explorer.spreadsheet import csv_text
from costs.explorer.views_saved import saved_view_context
from costs.selectors import (
    CostQuery,
    QueryError,
    account_names,
    bill_days,
    bill_freshness,
    cost_breakdown,
    cost_line_items,
    cost_query_parse,
    dimension_label,
    home_dashboard,
    tag_keys,
)
from costs.selectors.query import MAX_TAG_KEY_LENGTH
from finops.home_panels import home_panels
from finops.validators import control_character_in
from tenants.access import organization_page, request_membership

DRILLDOWN_PARAMS = ("cursor", "order")


@organization_page
def home(request: HttpRequest) -> HttpResponse:
    membership = request_membership(request)
    keys = tag_keys()
    tag_key = request.GET.get("tag_key") or (keys[0] if keys else None)
    if tag_key is not None and (len(tag_key) > MAX_TAG_KEY_LENGTH or control_character_in(tag_key)):
        return _invalid(request, QueryError("tag_key", "not a tag key; choose one from the list"), "Home")
    dashboard = home_dashboard(today=timezone.now().date(), tag_key=tag_key)
    context: dict[str, Any] = {
        "membership": membership,
        "panels": home_panels(request),
        "dashboard": dashboard,
        "tag_keys": keys,
        "tag_key": tag_key,
        "freshness": bill_freshness() if dashboard else None,
    }
    if dashboard is not None:
        context.update(home_context(dashboard, account_names()))
        context["latest_month_url"] = latest_month_url(context["freshness"].bill_through)
    return render(request, "explorer/home.html", context)


def _query(request: HttpRequest, *, ignore: tuple[str, ...] = ()) -> CostQuery:
    return cost_query_parse(dict(request.GET.lists()), today=timezone.now().date(), ignore=ignore)


def _invalid(request: HttpRequest, error: QueryError, title: str) -> HttpResponse:
    context = {"error": error, "title": title, "reset_url": request.path}
    return render(request, "explorer/invalid_query.html", context, status=400)


@organization_page
def costs(request: HttpRequest) -> HttpResponse:
    membership = request_membership(request)
    try:
        query = _query(request)
    except QueryError as error:
        return _invalid(request, error, "Cost explorer")
    names = account_names()
    breakdown = cost_breakdown(query=query)
    context: dict[str, Any] = {
        "membership": membership,
        "query": query,
        "breakdown": breakdown,
        "rows": page.table_rows(breakdown, names),
        "bucket_labels": [page.bucket_label(b, query.granularity) for b in breakdown.buckets],
        "column_totals": [
            (
                currency,
                [page.amount_text(a, currency) for a in breakdown.bucket_totals[currency]],
                page.amount_text(breakdown.totals[currency], currency),
            )
            for currency in breakdown.currencies
        ],  # fmt: skip
        "charts": [{"id": f"chart-{i}", "data": data} for i, data in enumerate(page.chart_data(breakdown, names))],
        "group_label": dimension_label(query.group_by) if query.group_by else "Total",
        "options": page.form_options(query, tag_keys()),
        "export_url": f"{request.path}export.csv?{query.to_querystring()}",
        "drilldown_url": page.drilldown_url(query),
        "bill_days": bill_days(),
        **saved_view_context(query.to_querystring()),
    }
    return render(request, "explorer/explorer.html", context)


@organization_page
def costs_csv(request: HttpRequest) -> HttpResponse:
    try:
        query = _query(request)
    except QueryError as error:
        return _invalid(request, error, "Export")
    breakdown = cost_breakdown(query=query)
    response = HttpResponse(csv_text(page.csv_rows(breakdown, account_names())), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{page.export_filename(query)}"'
    return response


@organization_page
def drilldown(request: HttpRequest) -> HttpResponse:
    membership = request_membership(request)
    try:
        query = _query(request, ignore=DRILLDOWN_PARAMS)
        order = request.GET.get("order", "desc")
        if order not in ("desc", "asc"):
            raise QueryError("order", "use desc (most expensive first) or asc")
        result = cost_line_items(query=query, cursor=request.GET.get("cursor") or None, descending=order == "desc")
    except QueryError as error:
        return _invalid(request, error, "Line items")
    base = query.to_querystring()
    context = {
        "membership": membership,
        "query": query,
        "page": result,
        "basis_label": page.form_options(query, []).get("basis_label"),
        "filters": page.form_options(query, [])["filters"],
        "next_url": f"{request.path}?{base}&order={order}&cursor={result.next_cursor}" if result.next_cursor else None,
        "first_url": f"{request.path}?{base}&order={order}",
        "flip_url": f"{request.path}?{base}&order={'asc' if order == 'desc' else 'desc'}",
        "order": order,
        "back_url": page.explorer_url(query),
        "not_in_export": page.NOT_IN_EXPORT,
    }
    return render(request, "explorer/drilldown.html", context)
