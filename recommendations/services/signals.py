"""What the bill cannot say, asked of the customer's AWS through their read-only role, when it allows.

CPU of always-on instances, connections of databases (CloudWatch) and whether volumes are
attached (EC2). Only resources in the role's own account are visible to it; anything refused
(AccessDenied: an older role without these permissions) leaves that signal unavailable, and the
detectors say which data would confirm their finding instead.
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from decimal import Decimal

from costs.selectors.resources import ResourceUsage
from costs.selectors.roles import aws_roles
from costs.services.sources import role_credentials
from finops.aws import AwsCallError
from finops.aws.cloudwatch import daily_metric_max
from finops.aws.ec2 import volume_states
from recommendations.detectors.base import Signals, instance_id

logger = logging.getLogger(__name__)


def _by_region(rows: list[ResourceUsage], account: str, marker: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        if row.account_id == account and marker in row.usage_type and row.region:
            found[row.region].add(instance_id(row.resource_id))
    return found


def signals_collect(*, usage: list[ResourceUsage], start: datetime.date, end: datetime.date) -> Signals:
    """CPU, connections and volume states for the resources in `usage` that the roles can see."""
    cpu: dict[str, Decimal] | None = None
    connections: dict[str, Decimal] | None = None
    states: dict[str, str] | None = None
    since = datetime.datetime.combine(start, datetime.time(), tzinfo=datetime.UTC)
    until = datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time(), tzinfo=datetime.UTC)
    for role in aws_roles():
        try:
            credentials = role_credentials(source_id=role.source_id)
        except AwsCallError as error:
            logger.info("role %s not assumable for savings checks: %s", role.role_arn, error)
            continue
        for region, ids in _by_region(usage, role.account_id, "BoxUsage").items():
            try:
                found = daily_metric_max(
                    credentials=credentials, region=region, namespace="AWS/EC2", metric="CPUUtilization",
                    dimension="InstanceId", ids=sorted(ids), stat="Average", start=since, end=until,
                )  # fmt: skip
                cpu = {**(cpu or {}), **found}
            except AwsCallError as error:
                logger.info("no CPU metrics through %s in %s: %s", role.role_arn, region, error.code)
        for region, ids in _by_region(usage, role.account_id, "Usage:db.").items():
            try:
                found = daily_metric_max(
                    credentials=credentials, region=region, namespace="AWS/RDS", metric="DatabaseConnections",
                    dimension="DBInstanceIdentifier", ids=sorted(ids), stat="Maximum", start=since, end=until,
                )  # fmt: skip
                connections = {**(connections or {}), **found}
            except AwsCallError as error:
                logger.info("no RDS metrics through %s in %s: %s", role.role_arn, region, error.code)
        for region, ids in _by_region(usage, role.account_id, "VolumeUsage").items():
            try:
                states = {
                    **(states or {}),
                    **volume_states(credentials=credentials, region=region, volume_ids=sorted(ids)),
                }
            except AwsCallError as error:
                logger.info("no volume states through %s in %s: %s", role.role_arn, region, error.code)
    return Signals(cpu_max_daily_average=cpu, db_max_connections=connections, volume_states=states)
