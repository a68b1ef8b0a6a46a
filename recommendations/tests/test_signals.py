"""Signals through the customer's role (moto over HTTP): CloudWatch CPU and EC2 volume states feed the detectors."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django_tenants.utils import tenant_context

from costs.selectors.resources import ResourceUsage
from costs.services.sources import source_create
from finops.aws.testing import moto_client
from recommendations.detectors import detect_all
from recommendations.detectors.base import DetectorInput
from recommendations.pricing import price_book
from recommendations.services.signals import signals_collect

ACCOUNT = "123456789012"  # moto's
ROLE = f"arn:aws:iam::{ACCOUNT}:role/finops-readonly/FinOpsReadOnly"


def _row(resource: str, usage_type: str, start: datetime.date, end: datetime.date, cost: str) -> ResourceUsage:
    days = (end - start).days + 1
    return ResourceUsage(
        account_id=ACCOUNT, region="us-east-1", resource_id=resource, service="Amazon Elastic Compute Cloud",
        product_family="", usage_type=usage_type, operation="", unit="Hrs", coverage="", currency="USD",
        quantity=Decimal(days * 24), effective_cost=Decimal(cost), billed_cost=Decimal(cost), list_cost=Decimal(cost),
        first_day=start, last_day=end, days=days, first_day_quantity=Decimal(24), last_day_quantity=Decimal(24),
    )  # fmt: skip


def test_cpu_and_volume_states_from_the_role_confirm_idle_and_unattached(org_a, s3_server, settings):
    settings.AWS_ENDPOINT_URL = s3_server
    iam, ec2, cloudwatch = (moto_client(service, s3_server) for service in ("iam", "ec2", "cloudwatch"))
    # The session's moto server is shared: another test of this process may have made the role already.
    if not iam.list_roles(PathPrefix="/finops-readonly/")["Roles"]:
        iam.create_role(
            RoleName="FinOpsReadOnly", Path="/finops-readonly/",
            AssumeRolePolicyDocument='{"Version":"2012-10-17","Statement":[]}',
        )  # fmt: skip
    image = ec2.describe_images()["Images"][0]["ImageId"]
    busy, quiet = (i["InstanceId"] for i in ec2.run_instances(ImageId=image, MinCount=2, MaxCount=2)["Instances"])
    loose = ec2.create_volume(AvailabilityZone="us-east-1a", Size=100)["VolumeId"]
    attached = ec2.create_volume(AvailabilityZone="us-east-1a", Size=100)["VolumeId"]
    ec2.attach_volume(VolumeId=attached, InstanceId=busy, Device="/dev/sdf")
    end = datetime.date.today()
    start = end - datetime.timedelta(days=29)
    for day in range(30):
        at = datetime.datetime.combine(start + datetime.timedelta(days=day), datetime.time(12), tzinfo=datetime.UTC)
        cloudwatch.put_metric_data(
            Namespace="AWS/EC2",
            MetricData=[
                {"MetricName": "CPUUtilization", "Dimensions": [{"Name": "InstanceId", "Value": instance}],
                 "Timestamp": at, "Value": value, "Unit": "Percent"}
                for instance, value in ((busy, 55.0), (quiet, 1.5))
            ],
        )  # fmt: skip
    usage = [
        _row(busy, "BoxUsage:m5.large", start, end, "69.12"),
        _row(quiet, "BoxUsage:m5.large", start, end, "69.12"),
        _row(loose, "EBS:VolumeUsage.gp3", start, end, "8.00"),
        _row(attached, "EBS:VolumeUsage.gp3", start, end, "8.00"),
    ]
    with tenant_context(org_a.organization):
        source_create(
            name="Payer", role_arn=ROLE, bucket="initech-billing", prefix="cur", export_name="daily", format="auto"
        )
        signals = signals_collect(usage=usage, start=start, end=end)
        assert signals.cpu_max_daily_average == {busy: Decimal("55.0"), quiet: Decimal("1.5")}
        assert signals.volume_states == {loose: "available", attached: "in-use"}

        found = detect_all(
            DetectorInput(window_start=start, window_end=end, usage=usage, signals=signals), price_book()
        )
        by_detector = {(c.detector, c.resource_id): c for c in found}
        assert by_detector[("ec2_idle", quiet)].confidence == "high"
        assert ("ec2_idle", busy) not in by_detector
        assert ("ebs_unattached", loose) in by_detector and ("ebs_unattached", attached) not in by_detector


def test_without_a_role_there_are_no_signals_and_nothing_is_claimed(org_a):
    with tenant_context(org_a.organization):
        signals = signals_collect(usage=[], start=datetime.date(2024, 9, 1), end=datetime.date(2024, 9, 30))
    assert (signals.cpu_max_daily_average, signals.volume_states, signals.db_max_connections) == (None, None, None)
