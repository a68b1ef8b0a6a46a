"""Recommendation pages: the list with totals and filters, the detail with evidence and workflow, AI logs."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from recommendations import selectors
from recommendations.access import can_act, recommendation_get, require_actor
from recommendations.forms import FilterForm, StatusForm
from recommendations.models import RunTrigger
from recommendations.services.workflow import WorkflowError, allowed_transitions, recommendation_status_change
from recommendations.tasks import run_soon
from tenants.access import organization_page, request_membership

LIST_LIMIT = 500


@organization_page
@require_GET
def recommendations(request: HttpRequest) -> HttpResponse:
    membership = request_membership(request)
    form = FilterForm(request.GET or None, accounts=selectors.filter_choices()["accounts"])
    filters = selectors.ListFilters.from_query(form.cleaned_data if form.is_valid() else {})
    rows = selectors.recommendations_list(filters=filters)
    done = list(
        selectors.recommendations_list(filters=selectors.ListFilters(status="done")).prefetch_related("evidence")
    )
    realized = selectors.realized_savings(recommendations=done)
    context = {
        "membership": membership,
        "can_act": can_act(membership),
        "form": form,
        "rows": rows[:LIST_LIMIT],
        "summary": selectors.savings_summary(rows=rows),
        "realized_total": selectors.realized_total(realized),
        "realized_count": sum(1 for r in realized.values() if r.realized is not None),
        "runs": selectors.last_runs(limit=1),
        "provider": settings.RECOMMENDATIONS_PROVIDER,
    }
    return render(request, "recommendations/list.html", context)


@organization_page
@require_GET
def recommendation_detail(request: HttpRequest, recommendation_id: int) -> HttpResponse:
    membership = request_membership(request)
    recommendation = recommendation_get(request, recommendation_id)
    evidence = [
        (
            line,
            selectors.explorer_url(
                resource_id=line.resource_id,
                start=line.period_start,
                end=line.period_end,
                usage_type=line.usage_type,
            ),
        )
        for line in recommendation.evidence.all()
    ]
    realized = selectors.realized_savings(recommendations=[recommendation]).get(recommendation.pk)
    context = {
        "membership": membership,
        "can_act": can_act(membership),
        "r": recommendation,
        "status": recommendation.effective_status(),
        "evidence": evidence,
        "history": recommendation.history.all(),
        "transitions": allowed_transitions(recommendation),
        "realized": realized,
        "form": StatusForm(),
    }
    return render(request, "recommendations/detail.html", context)


@organization_page
@require_POST
def recommendation_status(request: HttpRequest, recommendation_id: int) -> HttpResponse:
    require_actor(request)
    recommendation = recommendation_get(request, recommendation_id)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a status (and a valid date for a snooze).")
        return redirect("recommendation_detail", recommendation.pk)
    try:
        recommendation_status_change(
            recommendation_id=recommendation.pk,
            to_status=form.cleaned_data["to_status"],
            user=request.user,
            reason=form.cleaned_data["reason"] or "",
            snoozed_until=form.cleaned_data["snoozed_until"],
        )
    except WorkflowError as error:
        messages.error(request, str(error).capitalize())
    else:
        messages.success(request, "Status changed.")
    return redirect("recommendation_detail", recommendation.pk)


@organization_page(manager=True)
@require_POST
def recommendations_run_now(request: HttpRequest) -> HttpResponse:
    if run_soon(trigger=RunTrigger.MANUAL):
        messages.success(request, "A new analysis of your bill has been queued; refresh in a minute.")
    else:
        messages.info(request, "An analysis is already queued.")
    return redirect("recommendations")


@organization_page(manager=True)
@require_GET
def ai_logs(request: HttpRequest) -> HttpResponse:
    usage = selectors.ai_usage_this_month()
    spent = sum(int(usage[key]) for key in ("input", "output", "cache_read", "cache_write"))
    context = {
        "logs": selectors.ai_logs(),
        "usage": usage,
        "spent": spent,
        "budget": settings.BEDROCK_MONTHLY_TOKEN_BUDGET,
        "provider": settings.RECOMMENDATIONS_PROVIDER,
        "model_id": settings.BEDROCK_MODEL_ID,
        "runs": selectors.last_runs(limit=10),
    }
    return render(request, "recommendations/ai_logs.html", context)
