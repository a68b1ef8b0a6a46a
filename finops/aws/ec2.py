"""EC2, through a customer's role: the state of EBS volumes (attached or not)."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings

from finops.aws import Credentials, call_error, client_at


def volume_states(*, credentials: Credentials, region: str, volume_ids: list[str]) -> dict[str, str]:
    """Volume id -> state (`available` = attached to nothing, `in-use`, ...); unknown ids are left out."""
    ec2 = client_at("ec2", credentials, region=region, endpoint_url=settings.AWS_ENDPOINT_URL)
    states: dict[str, str] = {}
    try:
        for offset in range(0, len(volume_ids), 200):
            # A filter (unlike VolumeIds) does not fail on ids that were deleted since the bill.
            chunk = volume_ids[offset : offset + 200]
            pages = ec2.get_paginator("describe_volumes").paginate(Filters=[{"Name": "volume-id", "Values": chunk}])
            for page in pages:
                for volume in page.get("Volumes", []):
                    states[volume["VolumeId"]] = volume["State"]
    except (ClientError, BotoCoreError) as error:
        raise call_error("ec2:DescribeVolumes", error) from error
    return states
