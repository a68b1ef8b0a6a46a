"""Aurora Serverless v2 behind RDS Proxy, ElastiCache Redis, the uploads bucket, secrets."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticache as elasticache
from aws_cdk import aws_logs as logs
from aws_cdk import aws_rds as rds
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from .config import EnvironmentConfig
from .network import Network

DB_NAME = "finops"
DB_USER = "finops"
DB_PORT = 5432
REDIS_PORT = 6379


class Data(Construct):
    """Stateful resources. In production they are retained and deletion-protected."""

    def __init__(self, scope: Construct, id: str, *, cfg: EnvironmentConfig, network: Network) -> None:
        super().__init__(scope, id)
        vpc = network.vpc
        removal = RemovalPolicy.RETAIN if cfg.protect_data else RemovalPolicy.DESTROY
        self.log_retention = retention_days(cfg.log_retention_days)

        # --- Django secret key ---------------------------------------------------------
        self.django_secret = secretsmanager.Secret(
            self,
            "DjangoSecretKey",
            description=f"{cfg.prefix} Django SECRET_KEY",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=64, exclude_characters="'\"\\`$ "
            ),
            removal_policy=removal,
        )

        # --- Aurora PostgreSQL Serverless v2 ------------------------------------------
        self.db_security_group = ec2.SecurityGroup(
            self, "DbSg", vpc=vpc, description="Aurora: reachable from RDS Proxy only"
        )
        cluster_identifier = f"{cfg.prefix}-db"
        # Pre-create the exported log group so it gets a retention without CDK's
        # log-retention Lambda (which would need logs:* on "*").
        db_log_group = logs.LogGroup(
            self,
            "DbLogs",
            log_group_name=f"/aws/rds/cluster/{cluster_identifier}/postgresql",
            retention=self.log_retention,
            removal_policy=removal,
        )
        # Made here (not by the cluster) so it follows the data's removal policy: a retained
        # production cluster must not lose its credentials with the stack.
        db_secret = rds.DatabaseSecret(self, "DbSecret", username=DB_USER, secret_name=f"{cfg.prefix}/database")
        db_secret.apply_removal_policy(removal)
        readers = [
            rds.ClusterInstance.serverless_v2(f"reader{i + 1}", scale_with_writer=True) for i in range(cfg.db_readers)
        ]
        self.cluster = rds.DatabaseCluster(
            self,
            "Db",
            cluster_identifier=cluster_identifier,
            engine=rds.DatabaseClusterEngine.aurora_postgres(version=rds.AuroraPostgresEngineVersion.VER_16_13),
            credentials=rds.Credentials.from_secret(db_secret),
            default_database_name=DB_NAME,
            writer=rds.ClusterInstance.serverless_v2("writer"),
            readers=readers,
            serverless_v2_min_capacity=cfg.db_min_acu,
            serverless_v2_max_capacity=cfg.db_max_acu,
            vpc=vpc,
            vpc_subnets=network.data_subnets,
            security_groups=[self.db_security_group],
            storage_encrypted=True,
            backup=rds.BackupProps(retention=Duration.days(cfg.db_backup_days)),
            enable_performance_insights=True,
            cloudwatch_logs_exports=["postgresql"],
            deletion_protection=cfg.protect_data,
            removal_policy=RemovalPolicy.RETAIN if cfg.protect_data else RemovalPolicy.SNAPSHOT,
            copy_tags_to_snapshot=True,
        )
        self.cluster.node.add_dependency(db_log_group)
        assert self.cluster.secret is not None
        self.db_secret = self.cluster.secret

        # RDS Proxy pools connections across many gunicorn/celery processes; TLS required.
        self.proxy_security_group = ec2.SecurityGroup(
            self, "ProxySg", vpc=vpc, description="RDS Proxy: reachable from tasks"
        )
        self.proxy = self.cluster.add_proxy(
            "Proxy",
            secrets=[self.db_secret],
            vpc=vpc,
            vpc_subnets=network.data_subnets,
            security_groups=[self.proxy_security_group],
            require_tls=True,
            # django-tenants issues SET search_path, which pins sessions; keep idle
            # client connections short so pinned connections are returned quickly.
            idle_client_timeout=Duration.minutes(30),
        )
        self.cluster.connections.allow_default_port_from(self.proxy_security_group, "RDS Proxy to Aurora")

        # --- ElastiCache Redis (broker + cache) ---------------------------------------
        self.redis_auth = secretsmanager.Secret(
            self,
            "RedisAuthToken",
            description=f"{cfg.prefix} Redis AUTH token",
            # AUTH tokens allow printable ASCII except / " @ and space: stay alphanumeric.
            generate_secret_string=secretsmanager.SecretStringGenerator(password_length=64, exclude_punctuation=True),
            removal_policy=removal,
        )
        self.redis_security_group = ec2.SecurityGroup(
            self, "RedisSg", vpc=vpc, description="Redis: reachable from tasks"
        )
        subnet_group = elasticache.CfnSubnetGroup(
            self,
            "RedisSubnets",
            description=f"{cfg.prefix} redis",
            subnet_ids=vpc.select_subnets(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED).subnet_ids,
        )
        multi_az = cfg.redis_replicas > 0
        self.redis = elasticache.CfnReplicationGroup(
            self,
            "Redis",
            replication_group_description=f"{cfg.prefix} celery broker and cache",
            engine="redis",
            engine_version="7.1",
            cache_node_type=cfg.redis_node_type,
            num_node_groups=1,
            replicas_per_node_group=cfg.redis_replicas,
            automatic_failover_enabled=multi_az,
            multi_az_enabled=multi_az,
            port=REDIS_PORT,
            transit_encryption_enabled=True,
            at_rest_encryption_enabled=True,
            auth_token=self.redis_auth.secret_value.unsafe_unwrap(),
            cache_subnet_group_name=subnet_group.ref,
            security_group_ids=[self.redis_security_group.security_group_id],
            snapshot_retention_limit=7 if cfg.protect_data else 1,
            auto_minor_version_upgrade=True,
        )
        self.redis.apply_removal_policy(RemovalPolicy.RETAIN if cfg.protect_data else RemovalPolicy.DESTROY)
        self.redis_url = (
            f"rediss://{self.redis.attr_primary_end_point_address}:{self.redis.attr_primary_end_point_port}/0"
        )

        # --- S3: uploads and exports --------------------------------------------------
        self.bucket = s3.Bucket(
            self,
            "Files",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            # Browsers post uploads straight here from an organization's site (a presigned POST
            # whose policy limits size and key: costs/services/uploads.py); nothing else is cross-origin.
            cors=[
                s3.CorsRule(
                    allowed_methods=[s3.HttpMethods.POST],
                    allowed_origins=[f"https://*.{cfg.domain}"],
                    allowed_headers=["*"],
                    max_age=3600,
                )
            ],
            lifecycle_rules=[
                s3.LifecycleRule(
                    noncurrent_version_expiration=Duration.days(30),
                    abort_incomplete_multipart_upload_after=Duration.days(7),
                )
            ],
            removal_policy=removal,
        )

    def allow_from(self, peer: ec2.ISecurityGroup) -> None:
        """Let a task security group reach the proxy and Redis (nothing else)."""
        self.proxy.connections.allow_from(peer, ec2.Port.tcp(DB_PORT), "tasks to RDS Proxy")
        self.redis_security_group.add_ingress_rule(peer, ec2.Port.tcp(REDIS_PORT), "tasks to Redis")


_RETENTION = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
}


def retention_days(days: int) -> logs.RetentionDays:
    """Map a config value to CloudWatch's fixed retention values; fail at synth time."""
    try:
        return _RETENTION[days]
    except KeyError:
        raise ValueError(f"unsupported log retention: {days} days") from None
