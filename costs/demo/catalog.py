"""The fictional company behind the demo bills: accounts, services, resources and commitments.

Everything is drawn from a seeded `random.Random`, so the same seed and size give the
same company. Prices are realistic list prices (us-east-1, per unit).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

PAYER = ("210987654321", "northwind-payer")
ACCOUNTS = [
    PAYER,
    ("310000000001", "northwind-prod"),
    ("310000000002", "northwind-staging"),
    ("310000000003", "northwind-data"),
    ("310000000004", "northwind-sandbox"),
]
ACCOUNT_WEIGHTS = [1, 8, 3, 4, 1]
REGIONS = [
    ("us-east-1", "US East (N. Virginia)", 6),
    ("us-west-2", "US West (Oregon)", 3),
    ("eu-west-1", "EU (Ireland)", 2),
    ("ap-southeast-2", "Asia Pacific (Sydney)", 1),
]

# code, product name, family, usage type, operation, unit, unit price, daily units, id prefix, weight, commit
SERVICES = [
    (
        "AmazonEC2",
        "Amazon Elastic Compute Cloud",
        "Compute Instance",
        "BoxUsage:m5.large",
        "RunInstances",
        "Hrs",
        0.096,
        24,
        "i-",
        14,
        "ri",
    ),
    (
        "AmazonEC2",
        "Amazon Elastic Compute Cloud",
        "Compute Instance",
        "BoxUsage:c6g.xlarge",
        "RunInstances",
        "Hrs",
        0.136,
        24,
        "i-",
        8,
        "sp",
    ),
    (
        "AmazonEC2",
        "Amazon Elastic Compute Cloud",
        "Compute Instance",
        "BoxUsage:r6i.2xlarge",
        "RunInstances",
        "Hrs",
        0.504,
        24,
        "i-",
        3,
        "sp",
    ),
    (
        "AmazonEC2",
        "Amazon Elastic Compute Cloud",
        "Storage",
        "EBS:VolumeUsage.gp3",
        "CreateVolume-Gp3",
        "GB-Mo",
        0.08,
        6.5,
        "vol-",
        12,
        "",
    ),
    (
        "AmazonEC2",
        "Amazon Elastic Compute Cloud",
        "Storage",
        "EBS:VolumeUsage.gp2",
        "CreateVolume-Gp2",
        "GB-Mo",
        0.10,
        3.3,
        "vol-",
        4,
        "",
    ),
    (
        "AmazonEC2",
        "Amazon Elastic Compute Cloud",
        "Storage Snapshot",
        "EBS:SnapshotUsage",
        "CreateSnapshot",
        "GB-Mo",
        0.05,
        20,
        "snap-",
        4,
        "",
    ),
    (
        "AmazonEC2",
        "Amazon Elastic Compute Cloud",
        "IP Address",
        "ElasticIP:IdleAddress",
        "AssociateAddress",
        "Hrs",
        0.005,
        24,
        "eipalloc-",
        1,
        "",
    ),
    (
        "AmazonEC2",
        "Amazon Elastic Compute Cloud",
        "NAT Gateway",
        "NatGateway-Hours",
        "NatGateway",
        "Hrs",
        0.045,
        24,
        "nat-",
        1,
        "",
    ),
    (
        "AmazonRDS",
        "Amazon Relational Database Service",
        "Database Instance",
        "InstanceUsage:db.r6g.large",
        "CreateDBInstance:0014",
        "Hrs",
        0.225,
        24,
        "db:",
        4,
        "ri",
    ),
    (
        "AmazonRDS",
        "Amazon Relational Database Service",
        "Database Storage",
        "RDS:GP3-Storage",
        "CreateDBInstance:0014",
        "GB-Mo",
        0.115,
        8,
        "db:",
        3,
        "",
    ),
    (
        "AmazonS3",
        "Amazon Simple Storage Service",
        "Storage",
        "TimedStorage-ByteHrs",
        "StandardStorage",
        "GB-Mo",
        0.023,
        40,
        "bucket-",
        10,
        "",
    ),
    (
        "AmazonS3",
        "Amazon Simple Storage Service",
        "API Request",
        "Requests-Tier1",
        "PutObject",
        "Requests",
        0.000005,
        80000,
        "bucket-",
        4,
        "",
    ),
    (
        "AmazonDynamoDB",
        "Amazon DynamoDB",
        "Amazon DynamoDB PayPerRequest Throughput",
        "WriteRequestUnits",
        "PayPerRequestThroughput",
        "WriteRequestUnits",
        0.00000125,
        900000,
        "table/",
        4,
        "",
    ),
    (
        "AWSLambda",
        "AWS Lambda",
        "Serverless",
        "Lambda-GB-Second",
        "Invoke",
        "Lambda-GB-Second",
        0.0000166667,
        90000,
        "function:",
        6,
        "sp",
    ),
    (
        "AmazonECS",
        "Amazon Elastic Container Service",
        "Compute",
        "Fargate-vCPU-Hours:perCPU",
        "FargateTask",
        "hours",
        0.04048,
        48,
        "task/",
        4,
        "sp",
    ),
    (
        "AmazonEKS",
        "Amazon Elastic Kubernetes Service",
        "Compute",
        "AmazonEKS-Hours:perCluster",
        "CreateOperation",
        "Hrs",
        0.10,
        24,
        "cluster/",
        1,
        "",
    ),
    (
        "AmazonCloudFront",
        "Amazon CloudFront",
        "Data Transfer",
        "US-DataTransfer-Out-Bytes",
        "GET",
        "GB",
        0.085,
        30,
        "distribution/",
        2,
        "",
    ),
    (
        "AWSDataTransfer",
        "AWS Data Transfer",
        "Data Transfer",
        "DataTransfer-Out-Bytes",
        "RunInstances",
        "GB",
        0.09,
        25,
        "",
        3,
        "",
    ),
    (
        "AmazonVPC",
        "Amazon Virtual Private Cloud",
        "VpcEndpoint",
        "VpcEndpoint-Hours",
        "VpcEndpoint",
        "Hrs",
        0.01,
        24,
        "vpce-",
        2,
        "",
    ),
    (
        "AmazonCloudWatch",
        "AmazonCloudWatch",
        "Metric",
        "CW:MetricMonitorUsage",
        "MetricStorage",
        "Metrics",
        0.01,
        3,
        "",
        3,
        "",
    ),
    (
        "AmazonElastiCache",
        "Amazon ElastiCache",
        "Cache Instance",
        "NodeUsage:cache.r6g.large",
        "CreateCacheCluster:0002",
        "NodeHour",
        0.206,
        24,
        "cluster:",
        2,
        "",
    ),
    (
        "AmazonRedshift",
        "Amazon Redshift",
        "Compute Instance",
        "Node:ra3.xlplus",
        "RunComputeNode:0001",
        "Hrs",
        1.086,
        24,
        "cluster:",
        1,
        "",
    ),
    (
        "AmazonSQS",
        "Amazon Simple Queue Service",
        "API Request",
        "Requests-RBP",
        "GetQueueAttributes",
        "Requests",
        0.0000004,
        400000,
        "queue/",
        2,
        "",
    ),
    (
        "AmazonSNS",
        "Amazon Simple Notification Service",
        "Message Delivery",
        "DeliveryAttempts-SMTP",
        "Notification",
        "Notifications",
        0.00002,
        5000,
        "topic:",
        1,
        "",
    ),
    (
        "AmazonKinesis",
        "Amazon Kinesis",
        "Kinesis Streams",
        "Storage-ShardHour",
        "shardHourStorage",
        "ShardHour",
        0.015,
        48,
        "stream/",
        1,
        "",
    ),
    ("AWSGlue", "AWS Glue", "AWS Glue", "USE1-ETL-DPU-Hour", "Jobrun", "DPU-Hour", 0.44, 6, "job/", 1, ""),
    (
        "AmazonAthena",
        "Amazon Athena",
        "SQL Query",
        "DataScannedInTB",
        "RunQuery",
        "Terabytes",
        5.0,
        0.2,
        "workgroup/",
        1,
        "",
    ),
    (
        "AmazonSageMaker",
        "Amazon SageMaker",
        "ML Instance",
        "Notebk:ml.t3.medium",
        "RunInstance:Notebook",
        "Hrs",
        0.05,
        10,
        "notebook-instance/",
        1,
        "",
    ),
    (
        "AmazonRoute53",
        "Amazon Route 53",
        "DNS Query",
        "DNS-Queries",
        "Query",
        "Queries",
        0.0000004,
        300000,
        "hostedzone/",
        1,
        "",
    ),
    (
        "awskms",
        "AWS Key Management Service",
        "Encryption Key",
        "KMS-Keys",
        "CreateKey",
        "Keys",
        0.0333,
        1,
        "key/",
        1,
        "",
    ),
    (
        "AWSSecretsManager",
        "AWS Secrets Manager",
        "Secret",
        "AWSSecretsManager-Secrets",
        "StorageSecret",
        "Secrets",
        0.0133,
        1,
        "secret:",
        1,
        "",
    ),
    (
        "AmazonGuardDuty",
        "Amazon GuardDuty",
        "Security Services",
        "PaidEventsAnalyzed",
        "EventsAnalyzed",
        "Events",
        0.000004,
        50000,
        "",
        1,
        "",
    ),
]
# The services above are what the company draws its resources from. The ones below have no
# weight: they are planted after the draw (so the same seed still gives the same company) to give
# every recommendations detector something real to find, and to carry the signals a real bill has.
CORE_SERVICES = len(SERVICES)
SERVICES += [
    # Per-instance data transfer: every running instance has some; an idle one has next to none.
    ("AmazonEC2", "Amazon Elastic Compute Cloud", "Data Transfer", "DataTransfer-Regional-Bytes",
     "InterZone-In", "GB", 0.01, 20, "i-", 0, ""),
    ("AWSELB", "Elastic Load Balancing", "Load Balancer-Application", "LoadBalancerUsage",
     "LoadBalancing:Application", "Hrs", 0.0225, 24, "loadbalancer/app/", 0, ""),
    ("AWSELB", "Elastic Load Balancing", "Load Balancer-Application", "LCUUsage",
     "LoadBalancing:Application", "LCU-Hrs", 0.008, 40, "loadbalancer/app/", 0, ""),
    ("AmazonEC2", "Amazon Elastic Compute Cloud", "NAT Gateway", "NatGateway-Bytes",
     "NatGateway", "GB", 0.045, 60, "nat-", 0, ""),
    ("AmazonCloudWatch", "AmazonCloudWatch", "Storage Snapshot", "TimedStorage-ByteHrs",
     "PutLogEvents", "GB-Mo", 0.03, 12, "log-group:", 0, ""),
    ("AmazonRDS", "Amazon Relational Database Service", "Database Instance", "InstanceUsage:db.m4.large",
     "CreateDBInstance:0014", "Hrs", 0.175, 24, "db:", 0, ""),
    ("AmazonEC2", "Amazon Elastic Compute Cloud", "Compute Instance", "BoxUsage:m4.xlarge",
     "RunInstances", "Hrs", 0.20, 24, "i-", 0, ""),
]  # fmt: skip
_TRAFFIC, _ALB, _ALB_LCU, _NAT_BYTES, _LOG_STORAGE, _RDS_M4, _EC2_M4 = range(CORE_SERVICES, len(SERVICES))
WEEKDAY_DRIVEN = {
    "AWSLambda",
    "AmazonDynamoDB",
    "AmazonCloudFront",
    "AmazonSQS",
    "AmazonAthena",
    "AWSGlue",
    "AmazonECS",
}
TAG_VALUES = {
    "environment": ["prod", "staging", "dev"],
    "team": ["platform", "data", "web", "ml", "payments"],
    "application": ["checkout", "search", "etl", "website", "api", "recommender", "billing"],
    "cost_center": ["CC-100", "CC-200", "CC-300"],
}
ACCOUNT_ENV = {"northwind-prod": "prod", "northwind-staging": "staging", "northwind-sandbox": "dev"}


@dataclass
class Resource:
    account: int  # index into ACCOUNTS
    service: int  # index into SERVICES
    region: int
    resource_id: str
    daily_units: float
    tags: dict[str, str]
    commitment: str  # "" | "ri" | "sp"
    idle: bool = False
    stops_on_day: int = 0  # >0: resource (and its RI use) stops on that day of every month
    trend: float = 0.0  # units added per day since the first day (storage that only grows), no noise


@dataclass
class Company:
    resources: list[Resource]
    anomalies: list[tuple[int, int, int, float]] = field(default_factory=list)  # (month, day, service, factor)
    workloads: int = 0  # values of the extra `workload` tag (0: the bill has no such tag)


def company_build(*, resources: int, seed: int, workloads: int = 0) -> Company:
    """A company with about `resources` billable resources; larger sizes add more of each kind.

    `workloads` > 0 tags each tagged resource with one of that many `workload` values (round
    robin, drawing nothing from the random stream, so the rest of the bill is unchanged).
    """
    rng = random.Random(seed)
    weights = [s[9] for s in SERVICES]
    items = []
    for index in range(resources):
        service = rng.choices(range(len(SERVICES)), weights=weights)[0]
        account = rng.choices(range(len(ACCOUNTS)), weights=ACCOUNT_WEIGHTS)[0]
        region = rng.choices(range(len(REGIONS)), weights=[r[2] for r in REGIONS])[0]
        spec = SERVICES[service]
        tags = {}
        env = ACCOUNT_ENV.get(ACCOUNTS[account][1])
        if rng.random() < 0.85:  # some resources are untagged, as in real life
            tags = {key: rng.choice(values) for key, values in TAG_VALUES.items()}
            if env:
                tags["environment"] = env
            if workloads:
                tags["workload"] = f"wl-{index % workloads:03d}"
        region_code = REGIONS[region][0]
        prefix = spec[8]
        resource_id = (
            f"arn:aws:{spec[0].lower()}:{region_code}:{ACCOUNTS[account][0]}:{prefix}{index:08x}" if prefix else ""
        )
        # Most resources run all the time; usage-driven ones vary a lot in size.
        scale = rng.lognormvariate(0, 0.6) if spec[7] > 24 else 1.0
        commitment = spec[10] if spec[10] and ACCOUNTS[account][1] == "northwind-prod" and rng.random() < 0.6 else ""
        resource = Resource(account, service, region, resource_id, spec[7] * scale, tags, commitment)
        if spec[3].startswith(("ElasticIP:Idle", "EBS:VolumeUsage")) and rng.random() < 0.1:
            resource.idle = True  # unattached volume / idle address: cost with no use
            resource.tags = {**resource.tags, "application": "legacy-batch"}
        if commitment == "ri" and rng.random() < 0.15:
            resource.stops_on_day = rng.randint(10, 25)  # leaves its RI partly unused
        items.append(resource)
    anomalies = [
        (rng.randrange(0, 3), rng.randint(3, 27), rng.randrange(CORE_SERVICES), rng.choice([3.0, 4.5, 6.0]))
        for _ in range(3)
    ]
    items += _planted(items, seed=seed)
    return Company(items, anomalies, workloads)


def _resource_id(spec: tuple, account: int, region: int, suffix: str) -> str:  # type: ignore[type-arg]
    return f"arn:aws:{spec[0].lower()}:{REGIONS[region][0]}:{ACCOUNTS[account][0]}:{spec[8]}{suffix}"


def _planted(items: list[Resource], *, seed: int) -> list[Resource]:
    """Resources and signals the recommendations detectors look for, from their own random stream.

    Every EC2 instance gets its data transfer line (a few idle ones almost none); one account gets
    load balancers (one idle), NAT data processing, log groups that only grow, and previous-generation
    EC2 and RDS instances.
    """
    rng = random.Random(seed * 7919 + 13)
    planted: list[Resource] = []
    prod = next(i for i, account in enumerate(ACCOUNTS) if account[1] == "northwind-prod")
    staging = next(i for i, account in enumerate(ACCOUNTS) if account[1] == "northwind-staging")
    for extra, (service, account) in enumerate(((_EC2_M4, prod), (_EC2_M4, staging), (_RDS_M4, staging))):
        spec = SERVICES[service]
        planted.append(Resource(account, service, 0, _resource_id(spec, account, 0, f"p{extra:07x}"), spec[7], {}, ""))
    instances = [r for r in items + planted if SERVICES[r.service][3].startswith("BoxUsage")]
    idle_candidates = [r for r in instances if not r.commitment]
    idle = {id(r) for r in rng.sample(idle_candidates, k=min(3, len(idle_candidates)))}
    for instance in instances:
        gigabytes = 0.01 if id(instance) in idle else rng.lognormvariate(3, 0.8)
        planted.append(
            Resource(instance.account, _TRAFFIC, instance.region, instance.resource_id, gigabytes, instance.tags, "")
        )
    for number, busy in enumerate((True, True, False)):
        spec = SERVICES[_ALB]
        resource_id = _resource_id(spec, prod, 0, f"web-{number}/{rng.getrandbits(48):012x}")
        planted.append(Resource(prod, _ALB, 0, resource_id, 24, {"application": "website"}, ""))
        if busy:
            planted.append(Resource(prod, _ALB_LCU, 0, resource_id, rng.uniform(20, 60), {}, ""))
    for resource in [r for r in items if SERVICES[r.service][3] == "NatGateway-Hours"]:
        planted.append(
            Resource(resource.account, _NAT_BYTES, resource.region, resource.resource_id, rng.uniform(40, 120), {}, "")
        )
    for number in range(2):
        spec = SERVICES[_LOG_STORAGE]
        resource_id = _resource_id(spec, prod, 0, f"/aws/app/service-{number}")
        planted.append(
            Resource(prod, _LOG_STORAGE, 0, resource_id, spec[7] * (number + 1), {}, "", trend=0.1 * (number + 1))
        )
    return planted
