"""The bill in the integration API: cost sources, ingestion jobs, costs (summary, breakdown, line items).

Same selectors and services as the pages: the breakdown and line items read the explorer's URL
format (`costs.selectors.cost_query_parse`, see costs/explorer/__init__.py) and answer from
`cost_breakdown` / `cost_line_items`; test-connection and run-now call the services the
source page calls. Every viewset is an `OrganizationViewSet` (tenant-scoped, 404 for others).
"""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import urlencode

from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from costs import tasks
from costs.answers import bill_answer
from costs.explorer import selectors as explorer_page
from costs.explorer.spreadsheet import csv_text
from costs.models import CostSource, IngestionJob, JobStatus, JobTrigger, SourceKind
from costs.selectors import (
    CostQuery,
    Granularity,
    QueryError,
    account_names,
    cost_breakdown,
    cost_line_items,
    cost_query_parse,
    cost_range_totals,
)
from costs.serializers import (
    CheckOutcomeSerializer,
    CostBreakdownSerializer,
    CostSourceSerializer,
    CostSummarySerializer,
    IngestionJobSerializer,
    LineItemPageSerializer,
    RunQueuedSerializer,
)
from costs.services import sources as source_services
from costs.vocabulary import CostBasis, Dimension
from finops.api import OrganizationViewSet
from tenants.models import MANAGER_ROLES

RANGE_PARAMETERS = [
    OpenApiParameter(
        "range",
        str,
        description="A preset range: last_7_days, last_30_days, last_90_days (default), this_month, last_month, "
        "last_3_months, last_6_months, last_12_months, year_to_date. Or give start and end.",
    ),
    OpenApiParameter("start", OpenApiTypes.DATE, description="First charge day (UTC), YYYY-MM-DD; with end."),
    OpenApiParameter("end", OpenApiTypes.DATE, description="Last charge day (UTC), inclusive; with start."),
]
QUERY_PARAMETERS = [
    *RANGE_PARAMETERS,
    OpenApiParameter(
        "granularity", str, enum=[g.value for g in Granularity], description="Time buckets; default by length."
    ),
    OpenApiParameter(
        "group_by",
        str,
        description=f"One of {', '.join(Dimension.values)}, tag:<key>, or none. Default service_name.",
    ),
    OpenApiParameter("basis", str, enum=list(CostBasis.values), description="Cost basis; default billed_cost."),
]
FILTERS_NOTE = (
    " Filters: include.<dimension>=<value> keeps only those values, exclude.<dimension>=<value> drops them "
    "(repeat for several values; an empty value means none). Unknown or wrong parameters are 400 naming them."
)


def _query_from(request: Request, *, ignore: tuple[str, ...] = ()) -> CostQuery:
    try:
        return cost_query_parse(dict(request.query_params.lists()), today=timezone.now().date(), ignore=ignore)
    except QueryError as error:
        raise ValidationError({error.parameter: [error.message]}) from None


@extend_schema_view(
    list=extend_schema(
        summary="List cost sources",
        description="Every cost source of the organization (AWS exports, Cost Explorer estimates, uploads), by name.",
    ),
    retrieve=extend_schema(summary="Get a cost source", description="One cost source of the organization."),
)
class CostSourceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrganizationViewSet):
    queryset = CostSource.objects.all()
    serializer_class = CostSourceSerializer
    session_write_roles = MANAGER_ROLES

    @extend_schema(
        summary="Test a source's connection",
        description="Assume the source's role, list its export and read its manifests (as the source page's "
        "'Test connection'). The outcome is stored on the source and returned.",
        request=None,
        responses={200: CheckOutcomeSerializer},
    )
    @action(detail=True, methods=["post"], url_path="test-connection")
    def test_connection(self, request: Request, pk: str | None = None) -> Response:
        source = cast(CostSource, self.get_object())
        outcome = source_services.source_test_connection(source=source)
        return Response(CheckOutcomeSerializer({"ok": outcome.ok, "message": outcome.message}).data)

    @extend_schema(
        summary="Run a source check now",
        description="Queue a check of an AWS export source (as 'Check now'): new deliveries are ingested as "
        "ingestion jobs, listed at /api/v1/jobs?source=<id>. Uploads have nothing to check (400).",
        request=None,
        responses={202: RunQueuedSerializer},
    )
    @action(detail=True, methods=["post"], url_path="run")
    def run(self, request: Request, pk: str | None = None) -> Response:
        source = cast(CostSource, self.get_object())
        if source.kind != SourceKind.AWS_S3:
            raise ValidationError("Only AWS export sources are checked; uploads are ingested when uploaded.")
        transaction.on_commit(lambda: tasks.source_check.delay(source.pk, JobTrigger.MANUAL))
        body = {"source": source.pk, "queued": True, "message": "Check queued; new deliveries appear as jobs."}
        return Response(RunQueuedSerializer(body).data, status=status.HTTP_202_ACCEPTED)


@extend_schema_view(
    list=extend_schema(
        summary="List ingestion jobs",
        description="Ingestion jobs, newest first, optionally of one source and status.",
        parameters=[
            OpenApiParameter("source", int, description="Only this source's jobs."),
            OpenApiParameter("status", str, enum=list(JobStatus.values), description="Only jobs in this status."),
        ],
    ),
    retrieve=extend_schema(summary="Get an ingestion job", description="One ingestion job with its progress."),
)
class IngestionJobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrganizationViewSet):
    queryset = IngestionJob.objects.all()
    serializer_class = IngestionJobSerializer

    def scoped_queryset(self, queryset: Any) -> Any:
        if self.action != "list":
            return queryset
        source = self.request.query_params.get("source")
        if source is not None:
            if not source.isdigit():
                raise ValidationError({"source": ["A source id (integer)."]})
            queryset = queryset.filter(source_id=int(source))
        job_status = self.request.query_params.get("status")
        if job_status is not None:
            if job_status not in JobStatus.values:
                raise ValidationError({"status": [f"One of {', '.join(JobStatus.values)}."]})
            queryset = queryset.filter(status=job_status)
        return queryset


class CostViewSet(OrganizationViewSet):
    """Costs read through the explorer's selectors (no model queryset: the schema is checked instead)."""

    @extend_schema(
        summary="Cost totals for a range",
        description="Per currency, every cost basis summed over the charge days of the range, from the bill "
        "(Cost Explorer estimates excluded). A basis an export in the range lacks is null.",
        parameters=RANGE_PARAMETERS,
        responses={200: CostSummarySerializer},
    )
    @action(detail=False, methods=["get"])
    def summary(self, request: Request) -> Response:
        unknown = set(request.query_params) - {"range", "start", "end"}
        if unknown:
            raise ValidationError(
                {name: ["Unknown parameter; the summary takes range, or start and end."] for name in unknown}
            )
        query = _query_from(request)
        self.organization_schema_check()

        def summary_body() -> dict[str, Any]:
            totals = cost_range_totals(start=query.start, end=query.end)
            return dict(CostSummarySerializer({"start": query.start, "end": query.end, "currencies": totals}).data)

        # Integrations poll this: answered from the cache until the bill changes (costs.answers).
        return Response(bill_answer(name="summary", params=f"{query.start}:{query.end}", compute=summary_body))

    @extend_schema(
        summary="Cost breakdown (the explorer's question)",
        description="Cost per time bucket and group-by value, per currency, with totals: the Costs page's chart "
        "and table, from the same selector. The 25 largest groups come one by one; the rest fold into an Other "
        "row (group null)." + FILTERS_NOTE,
        parameters=QUERY_PARAMETERS,
        responses={200: CostBreakdownSerializer},
    )
    @action(detail=False, methods=["get"])
    def breakdown(self, request: Request) -> Response:
        query = _query_from(request)
        self.organization_schema_check()
        result = cost_breakdown(query=query)
        body = {
            "query": _query_body(query),
            "buckets": result.buckets,
            "rows": [
                {"group": r.group, "currency": r.currency, "amounts": r.amounts, "total": r.total, "folded": r.folded}
                for r in result.rows
            ],
            "bucket_totals": result.bucket_totals,
            "totals": result.totals,
            "read_from": result.read_from,
        }
        return Response(CostBreakdownSerializer(body).data)

    @extend_schema(
        summary="Cost breakdown as CSV",
        description="The breakdown's table as a CSV file (the Costs page's 'Export CSV', same function): one row per "
        "group and currency with an amount per bucket and the total, then a Total row per currency. Same parameters "
        "as /api/v1/costs/breakdown. Text cells that a spreadsheet would run as a formula (starting with = + - @, "
        "a tab or CR) get a leading apostrophe; amounts are plain decimal numbers, empty where the bill lacks the "
        "basis." + FILTERS_NOTE,
        parameters=QUERY_PARAMETERS,
        responses={(200, "text/csv"): OpenApiTypes.STR},
    )
    @action(detail=False, methods=["get"], url_path="breakdown.csv")
    def breakdown_csv(self, request: Request) -> HttpResponse:
        query = _query_from(request)
        self.organization_schema_check()
        breakdown = cost_breakdown(query=query)
        response = HttpResponse(csv_text(explorer_page.csv_rows(breakdown, account_names())), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="{explorer_page.export_filename(query)}"'
        return response

    @extend_schema(
        summary="Line items behind a breakdown",
        description="The line items that make up the question's figures, most expensive first (order=asc for "
        "cheapest), 50 a page, cursor-paginated: pass next_cursor back as cursor." + FILTERS_NOTE,
        parameters=[
            *QUERY_PARAMETERS,
            OpenApiParameter("order", str, enum=["desc", "asc"], description="By cost; default desc."),
            OpenApiParameter("cursor", str, description="next_cursor of the previous page."),
        ],
        responses={200: LineItemPageSerializer},
    )
    @action(detail=False, methods=["get"], url_path="line-items")
    def line_items(self, request: Request) -> Response:
        query = _query_from(request, ignore=("cursor", "order"))
        order = request.query_params.get("order", "desc")
        if order not in ("desc", "asc"):
            raise ValidationError({"order": ["Use desc (most expensive first) or asc."]})
        self.organization_schema_check()
        try:
            page = cost_line_items(
                query=query, cursor=request.query_params.get("cursor") or None, descending=order == "desc"
            )
        except QueryError as error:
            raise ValidationError({error.parameter: [error.message]}) from None
        next_url = None
        if page.next_cursor:
            params = [(k, v) for k, values in request.query_params.lists() for v in values if k != "cursor"]
            next_url = request.build_absolute_uri(
                f"{request.path}?{urlencode([*params, ('cursor', page.next_cursor)])}"
            )
        body = {"results": [item.__dict__ for item in page.items], "next_cursor": page.next_cursor, "next": next_url}
        return Response(LineItemPageSerializer(body).data)


def _query_body(query: CostQuery) -> dict[str, Any]:
    return {
        "start": query.start,
        "end": query.end,
        "granularity": query.granularity.value,
        "group_by": query.group_by,
        "basis": str(query.basis),
        "filters": [{"dimension": f.dimension, "values": list(f.values), "exclude": f.exclude} for f in query.filters],
        "parameters": query.to_querystring(),
    }
