"""Realized savings: for done recommendations, the affected resources' cost since versus before."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from recommendations import selectors
from recommendations.models import Recommendation
from recommendations.services.runs import recommendations_run
from recommendations.services.workflow import recommendation_status_change


def test_a_stopped_idle_instance_realizes_its_whole_cost_and_a_waiting_one_says_so(demo_bill, client_for):
    with tenant_context(demo_bill.organization):
        recommendations_run(trigger="manual")
        idle, other = Recommendation.objects.filter(detector="ec2_idle").order_by("pk")[:2]
        assert idle.window_end is not None
        done_day = idle.window_end - datetime.timedelta(days=10)
        for recommendation in (idle, other):
            recommendation_status_change(recommendation_id=recommendation.pk, to_status="done", user=demo_bill.owner)
        # The instance was stopped on done_day: the bill has no instance hours for it afterwards.
        Recommendation.objects.filter(pk=idle.pk).update(
            done_at=timezone.make_aware(datetime.datetime.combine(done_day, datetime.time(12)))
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM costs_costlineitem WHERE resource_id = %s AND charge_period_start >= %s",
                [idle.resource_id, done_day + datetime.timedelta(days=1)],
            )
        idle.refresh_from_db()
        other.refresh_from_db()
        realized = selectors.realized_savings(recommendations=[idle, other])

        assert realized[idle.pk].after == Decimal("0.00")
        assert realized[idle.pk].realized == idle.baseline_monthly_cost == idle.monthly_cost
        assert realized[idle.pk].days_after == 10
        assert realized[other.pk].realized is None
        assert "waiting for the bill after" in realized[other.pk].note

    page = client_for(demo_bill.owner, demo_bill).get(f"/recommendations/{idle.pk}/").content.decode()
    assert f"Realized: ${idle.monthly_cost:,.2f} a month" in page
    listing = client_for(demo_bill.owner, demo_bill).get("/recommendations/?status=all").content.decode()
    assert f'id="realized-total">${idle.monthly_cost:,.2f}<' in listing
