"""Compute and storage detectors on crafted rows: they find what they should, nothing else, to the cent."""

from __future__ import annotations

import datetime
from decimal import Decimal

from recommendations.detectors import detect_all
from recommendations.detectors.base import Signals
from recommendations.detectors.compute import ec2_idle, ec2_modernize
from recommendations.detectors.storage import ebs_gp2, ebs_old_snapshots, ebs_unattached, s3_intelligent_tiering
from recommendations.pricing import price_book
from recommendations.tests.crafted import usage, window

PRICES = price_book()
S3 = "Amazon Simple Storage Service"


def _instance(resource: str, itype: str = "m5.large", cost: str = "69.12", **options: object) -> list:
    return [usage(resource, f"BoxUsage:{itype}", quantity="720", cost=cost, **options)]  # type: ignore[arg-type]


def _traffic(resource: str, gb: str) -> list:
    return [usage(resource, "DataTransfer-Out-Bytes", quantity=gb, cost="0", unit="GB")]


def test_idle_instance_is_found_by_its_missing_traffic_and_nothing_else():
    rows = [
        *_instance("i-idle"),
        *_traffic("i-idle", "0.3"),  # 0.01 GB/day
        *_instance("i-busy"),
        *_traffic("i-busy", "90"),
        *_instance("i-young", first=datetime.date(2024, 9, 21)),  # 10 days: too young to judge
        *_instance("i-gone", last=datetime.date(2024, 9, 20)),  # no longer billed
        *_instance("i-covered", coverage="Reserved Instance"),  # idle, but the RI is paid anyway
        *_instance("i-scheduled", cost="34.56"),
    ]
    rows[-1] = usage("i-scheduled", "BoxUsage:m5.large", quantity="360", cost="34.56")  # half the hours
    found = ec2_idle(window(*rows), PRICES)

    assert [c.resource_id for c in found] == ["i-idle"]
    (idle,) = found
    assert idle.monthly_savings == Decimal("70.08")  # 69.12 × 730 / 720
    assert idle.monthly_cost == Decimal("70.08")
    assert idle.confidence == "medium"
    assert "CloudWatch CPUUtilization" in idle.confirm_with
    assert idle.facts["network_gb_per_day"] == "0.010"


def test_cloudwatch_cpu_makes_an_idle_instance_certain_and_clears_a_busy_one():
    rows = [*_instance("i-idle"), *_traffic("i-idle", "0.3"), *_instance("i-cpu"), *_traffic("i-cpu", "0.3")]
    signals = Signals(cpu_max_daily_average={"i-idle": Decimal("1.5"), "i-cpu": Decimal("40")})
    found = ec2_idle(window(*rows, signals=signals), PRICES)

    assert [(c.resource_id, c.confidence, c.confirm_with) for c in found] == [("i-idle", "high", "")]


def test_a_bill_without_instance_traffic_claims_nothing_without_cloudwatch():
    rows = _instance("i-a") + _instance("i-b")
    assert ec2_idle(window(*rows), PRICES) == []
    with_cpu = ec2_idle(window(*rows, signals=Signals(cpu_max_daily_average={"i-a": Decimal("0.4")})), PRICES)
    assert [c.resource_id for c in with_cpu] == ["i-a"]


def test_modernization_picks_the_cheapest_current_type_and_prices_it_by_ratio():
    rows = [
        *_instance("i-m5"),  # m5.large $0.096 -> m6g.large $0.077
        *_instance("i-m4", itype="m4.xlarge", cost="144.00"),  # previous generation, $0.20 -> m6g.xlarge $0.154
        *_instance("i-graviton", itype="c6g.xlarge", cost="97.92"),  # already the cheapest Graviton
        *_instance("i-unknown", itype="zz9.large"),
    ]
    found = {c.resource_id: c for c in ec2_modernize(window(*rows), PRICES)}

    assert set(found) == {"i-m5", "i-m4"}
    assert found["i-m5"].facts["target_type"] == "m6g.large"
    assert found["i-m5"].monthly_savings == Decimal("13.87")  # 70.08 × (1 − 0.077 / 0.096)
    assert found["i-m4"].facts["target_type"] == "m6g.xlarge"
    assert found["i-m4"].monthly_savings == Decimal("33.58")  # 146.00 × (1 − 0.154 / 0.200)
    assert "previous generation" in found["i-m4"].title


def test_an_idle_instance_is_not_also_told_to_modernize():
    rows = [*_instance("i-idle"), *_traffic("i-idle", "0.3"), *_instance("i-busy"), *_traffic("i-busy", "90")]
    found = [(c.detector, c.resource_id) for c in detect_all(window(*rows), PRICES)]

    assert ("ec2_idle", "i-idle") in found
    assert ("ec2_modernize", "i-idle") not in found
    assert ("ec2_modernize", "i-busy") in found


def test_gp2_volumes_save_a_fifth_minus_the_iops_gp3_must_provision():
    rows = [
        usage("vol-small", "EBS:VolumeUsage.gp2", quantity="600", cost="60.00", unit="GB-Mo"),  # ~608 GB
        usage("vol-large", "EBS:VolumeUsage.gp2", quantity="3000", cost="300.00", unit="GB-Mo"),  # ~3,042 GB
        usage("vol-tiny", "EBS:VolumeUsage.gp2", quantity="30", cost="3.00", unit="GB-Mo"),  # saves < $1
        usage("vol-gp3", "EBS:VolumeUsage.gp3", quantity="600", cost="48.00", unit="GB-Mo"),
    ]
    found = {c.resource_id: c for c in ebs_gp2(window(*rows), PRICES)}

    assert set(found) == {"vol-small", "vol-large"}
    assert found["vol-small"].monthly_savings == Decimal("12.17")  # 60.8333 × 0.2
    # 304.1667 × 0.2 − (3 × 3041.67 − 3000 = 6125 IOPS) × $0.005 = 60.8333 − 30.625
    assert found["vol-large"].monthly_savings == Decimal("30.21")
    assert found["vol-large"].facts["extra_iops_to_provision"] == "6125"


def test_unattached_volumes_need_ec2_to_say_so_and_supersede_gp2():
    rows = [
        usage("vol-a", "EBS:VolumeUsage.gp2", quantity="600", cost="60.00", unit="GB-Mo"),
        usage("vol-b", "EBS:VolumeUsage.gp3", quantity="600", cost="48.00", unit="GB-Mo"),
    ]
    assert ebs_unattached(window(*rows), PRICES) == []

    signals = Signals(volume_states={"vol-a": "available", "vol-b": "in-use"})
    found = detect_all(window(*rows, signals=signals), PRICES)
    assert [(c.detector, c.resource_id, c.monthly_savings) for c in found] == [
        ("ebs_unattached", "vol-a", Decimal("60.83"))  # 60.00 × 730 / 720, and no gp2 advice for it
    ]


def test_snapshots_older_than_the_limit_by_the_bills_first_charge():
    rows = [
        usage("snap-old", "EBS:SnapshotUsage", quantity="300", cost="15.00", unit="GB-Mo"),
        usage("snap-new", "EBS:SnapshotUsage", quantity="300", cost="15.00", unit="GB-Mo"),
    ]
    first_seen = {"snap-old": datetime.date(2024, 6, 1), "snap-new": datetime.date(2024, 8, 15)}
    found = ebs_old_snapshots(window(*rows, first_seen=first_seen), PRICES)

    assert [(c.resource_id, c.monthly_savings, c.facts["age_days"]) for c in found] == [
        ("snap-old", Decimal("15.21"), "121")
    ]
    assert "DescribeSnapshots" in found[0].confirm_with


def test_large_rarely_read_standard_buckets_move_to_intelligent_tiering():
    rows = [
        usage("bucket-cold", "TimedStorage-ByteHrs", quantity="600", cost="13.80", service=S3, unit="GB-Mo"),
        usage("bucket-hot", "USE1-TimedStorage-ByteHrs", quantity="600", cost="13.80", service=S3, unit="GB-Mo"),
        usage("bucket-hot", "Requests-Tier2", quantity="1000000", cost="0.40", service=S3, unit="Requests"),
        usage("bucket-small", "TimedStorage-ByteHrs", quantity="100", cost="2.30", service=S3, unit="GB-Mo"),
        usage("bucket-ia", "TimedStorage-SIA-ByteHrs", quantity="600", cost="7.50", service=S3, unit="GB-Mo"),
        usage("log-group", "TimedStorage-ByteHrs", quantity="600", cost="18.00", service="AmazonCloudWatch"),
    ]
    found = s3_intelligent_tiering(window(*rows), PRICES)

    assert [(c.resource_id, c.monthly_savings, c.confidence) for c in found] == [
        ("bucket-cold", Decimal("6.39"), "low")  # 13.9917 × (1 − 0.0125 / 0.023)
    ]
    assert "Storage Lens" in found[0].confirm_with
