"""Network, database, commitment and log detectors on crafted rows, savings exact to the cent."""

from __future__ import annotations

import datetime
from decimal import Decimal

from costs.selectors.resources import CommitmentUsage, DailySpend
from recommendations.detectors.base import Signals
from recommendations.detectors.commitments import commitment_low_utilization, savings_plan_purchase
from recommendations.detectors.database import rds_gp2, rds_idle, rds_previous_generation
from recommendations.detectors.logs import cloudwatch_logs_retention
from recommendations.detectors.network import eip_idle, elb_idle, nat_gateway_endpoint
from recommendations.pricing import PriceBook, price_book
from recommendations.tests.crafted import START, usage, window

PRICES = price_book()
ELB = "Elastic Load Balancing"
RDS = "Amazon Relational Database Service"
DB = "arn:aws:rds:us-east-1:111111111111:db:"


def test_load_balancers_without_lcus_or_bytes_are_idle():
    rows = [
        usage("lb/idle", "USE1-LoadBalancerUsage", quantity="720", cost="16.20", service=ELB),
        usage("lb/idle", "USE1-LCUUsage", quantity="0", cost="0", service=ELB, unit="LCU-Hrs"),
        usage("lb/busy", "USE1-LoadBalancerUsage", quantity="720", cost="16.20", service=ELB),
        usage("lb/busy", "USE1-LCUUsage", quantity="720", cost="5.76", service=ELB, unit="LCU-Hrs"),
    ]
    found = elb_idle(window(*rows), PRICES)
    assert [(c.resource_id, c.monthly_savings) for c in found] == [("lb/idle", Decimal("16.43"))]  # 16.425


def test_idle_elastic_ips_cost_their_idle_hours():
    rows = [
        usage("eipalloc-1", "ElasticIP:IdleAddress", quantity="720", cost="3.60"),
        usage("eipalloc-2", "ElasticIP:AdditionalAddress", quantity="720", cost="3.60"),
    ]
    found = eip_idle(window(*rows), PRICES)
    assert [(c.resource_id, c.monthly_savings, c.confidence) for c in found] == [
        ("eipalloc-1", Decimal("3.65"), "high")
    ]


def test_nat_data_processing_is_an_upper_bound_with_low_confidence():
    rows = [
        usage("nat-1", "NatGateway-Bytes", quantity="1000", cost="45.00", unit="GB"),
        usage("nat-1", "NatGateway-Hours", quantity="720", cost="32.40"),
    ]
    (found,) = nat_gateway_endpoint(window(*rows), PRICES)
    assert found.monthly_savings == Decimal("45.63")  # 45.625, data processing only
    assert found.confidence == "low"
    assert "Flow Logs" in found.confirm_with


def test_previous_generation_databases_move_to_a_class_rds_offers():
    rows = [
        usage(DB + "old", "InstanceUsage:db.m4.large", quantity="720", cost="131.04", service=RDS),
        usage(DB + "new", "InstanceUsage:db.r6g.large", quantity="720", cost="162.00", service=RDS),
    ]
    found = rds_previous_generation(window(*rows), PRICES)
    assert [(c.resource_id, c.facts["target_class"], c.monthly_savings) for c in found] == [
        (DB + "old", "db.m6g.large", Decimal("30.56"))  # 132.86 × (1 − 0.077 / 0.100)
    ]


def test_idle_databases_need_cloudwatch_connections():
    rows = [
        usage(DB + "quiet", "InstanceUsage:db.r6g.large", quantity="720", cost="162.00", service=RDS),
        usage(DB + "used", "InstanceUsage:db.r6g.large", quantity="720", cost="162.00", service=RDS),
    ]
    assert rds_idle(window(*rows), PRICES) == []
    signals = Signals(db_max_connections={"quiet": Decimal(0), "used": Decimal(12)})
    found = rds_idle(window(*rows, signals=signals), PRICES)
    assert [(c.resource_id, c.monthly_savings) for c in found] == [(DB + "quiet", Decimal("164.25"))]


def test_rds_gp2_only_where_gp3_is_cheaper():
    rows = [usage(DB + "a", "RDS:GP2-Storage", quantity="1000", cost="115.00", service=RDS, unit="GB-Mo")]
    # In us-east-1 RDS gp2 and gp3 list at the same $0.115: no saving to claim.
    assert rds_gp2(window(*rows), PRICES) == []
    cheaper = PriceBook(
        unit_prices={("rds_gp2", "us-east-1"): Decimal("0.115"), ("rds_gp3", "us-east-1"): Decimal("0.092")}
    )
    (found,) = rds_gp2(window(*rows), cheaper)
    assert found.monthly_savings == Decimal("23.32")  # 116.597 × 0.2


def _spend(start_cost: int, days: int = 30) -> list[DailySpend]:
    return [
        DailySpend(day=START + datetime.timedelta(days=i), currency="USD", effective_cost=Decimal(start_cost + i))
        for i in range(days)
    ]


def _plan(used: str, listed: str, unused: str = "0") -> CommitmentUsage:
    return CommitmentUsage(
        commitment_id="arn:aws:savingsplans::111111111111:savingsplan/sp-1",
        commitment_type="Savings Plan",
        currency="USD",
        used_effective_cost=Decimal(used),
        unused_effective_cost=Decimal(unused),
        covered_list_cost=Decimal(listed),
    )


def test_savings_plan_commits_to_the_tenth_percentile_day_at_the_measured_discount():
    # Daily spend 100..129: the 10th percentile (index 2) is 102/day = 4.25/h.
    (found,) = savings_plan_purchase(window(on_demand_daily=_spend(100), commitments=[_plan("700", "1000")]), PRICES)
    assert found.facts["discount_percent"] == "30.0"  # 1 − 700 / 1000
    assert found.facts["hourly_commitment_usd"] == "2.975"  # 4.25 × 0.70
    assert found.monthly_savings == Decimal("930.75")  # 4.25 × 0.30 × 730
    assert found.facts["break_even_utilization_percent"] == "70.0"

    (default,) = savings_plan_purchase(window(on_demand_daily=_spend(100)), PRICES)
    assert default.facts["discount_percent"] == "28.0"
    assert default.monthly_savings == Decimal("868.70")  # 4.25 × 0.28 × 730
    assert savings_plan_purchase(window(on_demand_daily=_spend(100, days=10)), PRICES) == []


def test_unused_savings_plan_commitment_is_taken_off_a_new_one():
    # 72.00 unused over September's 720 h = 0.10/h less to commit: 2.975 − 0.100.
    plan = _plan("700", "1000", unused="72")
    (found,) = savings_plan_purchase(
        window(on_demand_daily=_spend(100), commitments=[plan], commitments_period=datetime.date(2024, 9, 1)), PRICES
    )
    assert found.facts["hourly_commitment_usd"] == "2.875"
    assert found.monthly_savings == Decimal("899.46")  # 2.875 / 0.7 × 0.3 × 730


def test_commitments_below_ninety_percent_used_show_their_unused_cost():
    ri = CommitmentUsage(
        commitment_id="arn:aws:ec2:us-east-1:111111111111:reserved-instances/ri-1",
        commitment_type="Reserved Instance",
        currency="USD",
        used_effective_cost=Decimal("300"),
        unused_effective_cost=Decimal("100"),
        covered_list_cost=Decimal("500"),
    )
    well_used = _plan("950", "1300", unused="50")
    found = commitment_low_utilization(
        window(commitments=[ri, well_used], commitments_period=datetime.date(2024, 9, 1)), PRICES
    )
    assert [(c.resource_id, c.monthly_savings, c.facts["utilization_percent"]) for c in found] == [
        (ri.commitment_id, Decimal("101.39"), "75.0")  # 100 × 730 / 720
    ]
    assert found[0].account_id == "111111111111" and found[0].region == "us-east-1"


def test_log_groups_that_only_grow_level_off_with_retention():
    growing = usage(
        "arn:aws:logs:us-east-1:111111111111:log-group:/app/web",
        "TimedStorage-ByteHrs",
        quantity="600",
        cost="18.00",
        service="AmazonCloudWatch",
        unit="GB-Mo",
        first_quantity="10",
        last_quantity="30",
    )
    flat = usage(
        "arn:aws:logs:us-east-1:111111111111:log-group:/app/flat",
        "TimedStorage-ByteHrs",
        quantity="600",
        cost="18.00",
        service="AmazonCloudWatch",
        unit="GB-Mo",
    )
    (found,) = cloudwatch_logs_retention(window(growing, flat), PRICES)
    assert found.resource_id.endswith("/app/web")
    # 912.5 GB today, growing 608.33 / 29 GB/day; 30 days of it = 629.31 GB; (912.5 − 629.31) × $0.03
    assert found.monthly_savings == Decimal("8.50")
    assert found.facts["growth_gb_per_day"] == "20.98"
