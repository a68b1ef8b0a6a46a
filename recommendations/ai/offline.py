"""The offline writer: deterministic rationale and steps from templates, for development, tests and fallbacks.

Its text is labelled "not AI" wherever it is shown. It is also the plain rationale a candidate
keeps when the model's answer for it was rejected twice.
"""

from __future__ import annotations

from decimal import Decimal

from recommendations.ai.types import CandidateBrief, Rationale, Step, WriteResult


def _short(resource: str) -> str:
    return resource.replace(":", "/").rsplit("/", 1)[-1]


# detector -> (risk, [(kind, text)]); {id}, {region}, {facts[...]} are filled from the brief.
TEMPLATES: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "ec2_idle": (
        "Something may still depend on the instance (a cron job, a licence server). Stop it before terminating.",
        [
            (
                "console",
                "EC2 console → Instances → select {short} → Instance state → Stop instance; terminate after a quiet week.",
            ),
            (
                "cli",
                "aws ec2 create-image --instance-id {short} --name {short}-before-stop --region {region}\naws ec2 stop-instances --instance-ids {short} --region {region}",
            ),
        ],
    ),
    "ec2_modernize": (
        "A new instance type needs a stop/start; Graviton types need arm64 builds of everything on the instance.",
        [
            (
                "console",
                "EC2 console → select {short} → Instance state → Stop → Actions → Instance settings → Change instance type → {target_type} → Start.",
            ),
            (
                "cli",
                "aws ec2 stop-instances --instance-ids {short} --region {region}\naws ec2 modify-instance-attribute --instance-id {short} --instance-type Value={target_type} --region {region}\naws ec2 start-instances --instance-ids {short} --region {region}",
            ),
            ("iac", 'resource "aws_instance" "this" {{\n  instance_type = "{target_type}"\n}}'),
        ],
    ),
    "ebs_gp2_to_gp3": (
        "None for availability: the change is online. Throughput above 125 MiB/s must be provisioned on gp3.",
        [
            ("cli", "aws ec2 modify-volume --volume-id {short} --volume-type gp3{iops} --region {region}"),
            ("iac", 'resource "aws_ebs_volume" "this" {{\n  type = "gp3"\n}}'),
        ],
    ),
    "ebs_unattached": (
        "The data on the volume is lost unless it is snapshotted first.",
        [
            (
                "cli",
                "aws ec2 create-snapshot --volume-id {short} --description 'before delete' --region {region}\naws ec2 delete-volume --volume-id {short} --region {region}",
            ),
        ],
    ),
    "ebs_old_snapshots": (
        "An AMI or a restore plan may need the snapshot; check before deleting.",
        [
            (
                "cli",
                "aws ec2 describe-images --filters Name=block-device-mapping.snapshot-id,Values={short} --region {region}\naws ec2 delete-snapshot --snapshot-id {short} --region {region}",
            ),
        ],
    ),
    "s3_intelligent_tiering": (
        "Objects smaller than 128 KB never move tier; retrieval from the infrequent tier costs nothing extra.",
        [
            (
                "cli",
                'aws s3api put-bucket-lifecycle-configuration --bucket {short} --lifecycle-configuration \'{{"Rules":[{{"ID":"to-intelligent-tiering","Status":"Enabled","Filter":{{}},"Transitions":[{{"Days":0,"StorageClass":"INTELLIGENT_TIERING"}}]}}]}}\'',
            ),
        ],
    ),
    "elb_idle": (
        "A DNS record or a rarely used integration may still point at it.",
        [("cli", "aws elbv2 delete-load-balancer --load-balancer-arn {resource_id} --region {region}")],
    ),
    "eip_idle": (
        "A released address cannot be recovered; allow-lists that name it must change.",
        [("cli", "aws ec2 release-address --allocation-id {short} --region {region}")],
    ),
    "nat_gateway_endpoint": (
        "Endpoint policies and bucket policies that check source IPs need review.",
        [
            (
                "cli",
                "aws ec2 create-vpc-endpoint --vpc-endpoint-type Gateway --vpc-id <vpc-id> --service-name com.amazonaws.{region}.s3 --route-table-ids <route-table-ids> --region {region}",
            ),
            (
                "iac",
                'resource "aws_vpc_endpoint" "s3" {{\n  vpc_id            = var.vpc_id\n  service_name      = "com.amazonaws.{region}.s3"\n  vpc_endpoint_type = "Gateway"\n  route_table_ids   = var.private_route_table_ids\n}}',
            ),
        ],
    ),
    "rds_previous_generation": (
        "Changing the class restarts the database; do it in the maintenance window (Multi-AZ shortens the outage).",
        [
            (
                "cli",
                "aws rds modify-db-instance --db-instance-identifier {short} --db-instance-class {target_class} --region {region}",
            )
        ],
    ),
    "rds_idle": (
        "A stopped RDS instance starts again by itself after 7 days; snapshot and delete it to keep it off.",
        [
            (
                "cli",
                "aws rds create-db-snapshot --db-instance-identifier {short} --db-snapshot-identifier {short}-final --region {region}\naws rds delete-db-instance --db-instance-identifier {short} --final-db-snapshot-identifier {short}-last --region {region}",
            )
        ],
    ),
    "rds_gp2": (
        "The storage change runs online but can take hours on large volumes.",
        [("cli", "aws rds modify-db-instance --db-instance-identifier {short} --storage-type gp3 --region {region}")],
    ),
    "savings_plan_purchase": (
        "A Savings Plan cannot be cancelled: if compute usage falls below the commitment, the rest is paid anyway.",
        [
            (
                "console",
                "Billing and Cost Management → Savings Plans → Purchase Savings Plans → Compute, 1 year, No upfront, commitment ${hourly_commitment_usd}/hour.",
            ),
            (
                "cli",
                "aws savingsplans describe-savings-plans-offerings --plan-types Compute --durations 31536000 --payment-options 'No Upfront'\naws savingsplans create-savings-plan --savings-plan-offering-id <offering-id> --commitment {hourly_commitment_usd}",
            ),
        ],
    ),
    "commitment_low_utilization": (
        "Moving workloads to match the commitment may change their performance or placement.",
        [
            (
                "console",
                "Cost Explorer → Reservations / Savings Plans → Utilization report: find what stopped using it, and move matching on-demand usage onto it.",
            )
        ],
    ),
    "cloudwatch_logs_retention": (
        "Log data older than the retention is deleted for good; export it first if it must be kept.",
        [
            (
                "cli",
                "aws logs put-retention-policy --log-group-name {log_group} --retention-in-days {retention_days} --region {region}",
            ),
            ("iac", 'resource "aws_cloudwatch_log_group" "this" {{\n  retention_in_days = {retention_days}\n}}'),
        ],
    ),
}


def default_priority(brief: CandidateBrief) -> str:
    savings = Decimal(brief.monthly_savings)
    if brief.confidence == "low" or savings < 10:
        return "low"
    if savings >= 100 and brief.effort == "low":
        return "high"
    return "medium"


def template_rationale(brief: CandidateBrief) -> Rationale:
    risk, steps = TEMPLATES.get(brief.detector, ("Review before changing anything.", []))
    values = {
        "short": _short(brief.resource_id),
        "resource_id": brief.resource_id,
        "region": brief.region or "us-east-1",
        "log_group": brief.resource_id.split(":log-group:", 1)[-1],
        "iops": (
            f" --iops {3000 + int(brief.facts['extra_iops_to_provision'])}"
            if brief.facts.get("extra_iops_to_provision", "0") != "0"
            else ""
        ),
        **brief.facts,
    }
    text = f"{brief.title}: saves {brief.monthly_savings} {brief.currency} a month. {brief.savings_method}"
    if brief.confirm_with:
        text += f" To confirm: {brief.confirm_with}"
    return Rationale(
        id=brief.id,
        priority=default_priority(brief),
        rationale=text,
        risk=risk,
        effort=brief.effort,
        steps=tuple(Step(kind=kind, text=template.format(**values)) for kind, template in steps),
    )


class OfflineProvider:
    """Writes every rationale from templates, without calling anything."""

    name = "offline"
    model_id = "templates"

    def write(self, briefs: list[CandidateBrief]) -> WriteResult:
        return WriteResult(rationales={brief.id: template_rationale(brief) for brief in briefs})
