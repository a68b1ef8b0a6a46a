"""Pages of the monitoring app: anomalies (list, detail, feedback), monitors, budgets, alert subscriptions.

Members see everything and manage their own subscriptions; owners and admins add and mute
monitors, manage budgets and start a run. Other users get 404 (@organization_page).
"""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from costs.monitoring import access, selectors
from costs.monitoring.charts import anomaly_chart, explorer_link
from costs.monitoring.forms import BudgetForm, FeedbackForm, MonitorForm, SubscriptionForm
from costs.monitoring.models import AnomalyStatus, Severity
from costs.monitoring.services import budgets as budget_services
from costs.monitoring.services import monitors as monitor_services
from costs.monitoring.services.runs import anomaly_root_cause_ensure
from tenants.access import organization_page, request_membership


def _form_errors(form: object, error: ValidationError) -> None:
    for field, problems in error.message_dict.items():
        form.add_error(field if field in form.fields else None, problems)  # type: ignore[attr-defined]


def _forecast_day() -> datetime.date:
    """Forecasts run from the newest data (a bill lags the calendar)."""
    return selectors.forecast_day()


@organization_page
def anomalies(request: HttpRequest) -> HttpResponse:
    membership = request_membership(request)
    since = None
    if request.GET.get("since"):
        try:
            since = datetime.date.fromisoformat(request.GET["since"])
        except ValueError:
            messages.error(request, f"'since' must be a date like 2025-01-31, not {request.GET['since']!r}.")
    monitor_id = request.GET.get("monitor", "")
    rows = selectors.anomaly_list(
        status=request.GET.get("status", ""),
        severity=request.GET.get("severity", ""),
        monitor_id=int(monitor_id) if monitor_id.isdigit() else None,
        since=since,
        sort=request.GET.get("sort", "impact"),
    )
    return render(
        request,
        "monitoring/anomaly_list.html",
        {
            "anomalies": rows[:200],
            "membership": membership,
            "statuses": AnomalyStatus.choices,
            "severities": Severity.choices,
            "monitors": selectors.monitors_with_counts(),
            "filters": request.GET,
            "last_run": selectors.last_run(),
        },
    )


@organization_page
def anomaly_detail(request: HttpRequest, anomaly_id: int) -> HttpResponse:
    membership = request_membership(request)
    anomaly = anomaly_root_cause_ensure(anomaly=access.anomaly_get(request, anomaly_id))
    start, end = anomaly.start_day.isoformat(), anomaly.end_day.isoformat()
    causes = [
        {**row, "link": explorer_link(row["dimensions"], start=start, end=end, basis=anomaly.monitor.cost_basis)}
        for row in anomaly.root_cause
    ]
    return render(
        request,
        "monitoring/anomaly_detail.html",
        {
            "anomaly": anomaly,
            "membership": membership,
            "chart": anomaly_chart(anomaly.daily),
            "causes": causes,
            "feedback": anomaly.feedback.all()[:20],
            "form": FeedbackForm(),
        },
    )


@organization_page
@require_POST
def anomaly_feedback(request: HttpRequest, anomaly_id: int) -> HttpResponse:
    anomaly = access.anomaly_get(request, anomaly_id)
    form = FeedbackForm(request.POST)
    if form.is_valid():
        try:
            monitor_services.anomaly_feedback_record(
                anomaly=anomaly, user=request.user, verdict=form.cleaned_data["verdict"], note=form.cleaned_data["note"]
            )
            messages.success(request, "Thanks: your feedback is recorded.")
        except ValidationError as error:
            messages.error(request, "; ".join(error.messages))
    else:
        messages.error(request, "Choose a verdict: true anomaly, expected, or not an anomaly.")
    return redirect("anomaly_detail", anomaly_id=anomaly.pk)


@organization_page
def monitors(request: HttpRequest) -> HttpResponse:
    membership = request_membership(request)
    form = MonitorForm(request.POST or None)
    if request.method == "POST":
        if not membership.can_manage:
            return HttpResponse("Only owners and admins can add monitors.", status=403)
        if form.is_valid():
            try:
                monitor_services.monitor_create(user=request.user, **form.cleaned_data)
                messages.success(request, "Monitor added; it is judged from the next run.")
                return redirect("monitoring_monitors")
            except ValidationError as error:
                _form_errors(form, error)
    return render(
        request,
        "monitoring/monitors.html",
        {
            "monitors": selectors.monitors_with_counts(),
            "form": form,
            "membership": membership,
            "last_run": selectors.last_run(),
        },
    )


@organization_page(manager=True)
@require_POST
def monitor_mute(request: HttpRequest, monitor_id: int) -> HttpResponse:
    monitor = access.monitor_get(request, monitor_id)
    monitor_services.monitor_mute(monitor=monitor, muted=request.POST.get("muted") == "1")
    return redirect("monitoring_monitors")


@organization_page(manager=True)
@require_POST
def run_now(request: HttpRequest) -> HttpResponse:
    from costs.monitoring.tasks import monitoring_run_task

    monitoring_run_task.delay(trigger="manual")
    messages.success(request, "A run has started; new anomalies appear here when it finishes.")
    return redirect("monitoring_monitors")


@organization_page
def budgets(request: HttpRequest) -> HttpResponse:
    membership = request_membership(request)
    form = BudgetForm(request.POST or None)
    if request.method == "POST":
        if not membership.can_manage:
            return HttpResponse("Only owners and admins can manage budgets.", status=403)
        if form.is_valid():
            try:
                budget_services.budget_create(user=request.user, **form.budget_fields())
                messages.success(request, "Budget added.")
                return redirect("monitoring_budgets")
            except ValidationError as error:
                _form_errors(form, error)
    return render(
        request,
        "monitoring/budgets.html",
        {"budgets": selectors.budgets_overview(today=_forecast_day()), "form": form, "membership": membership},
    )


@organization_page(manager=True)
@require_POST
def budget_delete(request: HttpRequest, budget_id: int) -> HttpResponse:
    budget_services.budget_delete(budget=access.budget_get(request, budget_id))
    messages.success(request, "Budget deleted.")
    return redirect("monitoring_budgets")


@organization_page
def subscriptions(request: HttpRequest) -> HttpResponse:
    membership = request_membership(request)
    form = SubscriptionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            monitor_services.subscription_create(user=request.user, **form.cleaned_data)
            messages.success(request, "Subscribed.")
            return redirect("monitoring_subscriptions")
        except ValidationError as error:
            _form_errors(form, error)
    return render(
        request,
        "monitoring/subscriptions.html",
        {"subscriptions": selectors.subscription_list(user=request.user), "form": form, "membership": membership},
    )


@organization_page
@require_POST
def subscription_delete(request: HttpRequest, subscription_id: int) -> HttpResponse:
    subscription = access.subscription_get(request, subscription_id)
    monitor_services.subscription_delete(subscription=subscription)
    messages.success(request, "Unsubscribed.")
    return redirect("monitoring_subscriptions")
