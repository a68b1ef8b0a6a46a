"""The application stack: one class, instantiated once per environment."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Environment, Fn, Stack, Tags
from constructs import Construct

from .alarms import Alarms
from .compute import Compute
from .config import EnvironmentConfig
from .data import Data
from .edge import Edge
from .network import Network


class FinOpsStack(Stack):
    def __init__(self, scope: Construct, cfg: EnvironmentConfig, **kwargs: Any) -> None:
        self.cfg = cfg  # set first: availability_zones below is read during construction
        super().__init__(
            scope,
            cfg.stack_name,
            env=Environment(account=cfg.account, region=cfg.region),
            description=f"FinOps SaaS ({cfg.name})",
            termination_protection=cfg.protect_data,
            **kwargs,
        )
        self.network = Network(self, "Network", cfg=cfg)
        self.data = Data(self, "Data", cfg=cfg, network=self.network)
        self.edge = Edge(self, "Edge", cfg=cfg, network=self.network)
        self.compute = Compute(self, "Compute", cfg=cfg, network=self.network, data=self.data, edge=self.edge)
        self.alarms = Alarms(self, "Alarms", cfg=cfg, edge=self.edge, compute=self.compute, data=self.data)
        # DBProxyTargetGroup takes no Tags, yet the tag aspect would add them.
        untaggable = ["AWS::RDS::DBProxyTargetGroup"]
        for key, value in {"app": "finops", **cfg.tags}.items():
            Tags.of(self).add(key, value, exclude_resource_types=untaggable)

        # Read by deploy/run_migrations.sh to start the one-off migrate task.
        outputs = {
            "ClusterName": self.compute.cluster.cluster_name,
            "MigrateTaskFamily": self.compute.migrate_task.family,
            "MigrateSubnets": Fn.join(",", self.network.app_subnet_ids),
            "MigrateSecurityGroup": self.compute.worker_sg.security_group_id,
            "LoadBalancerDns": self.edge.alb.load_balancer_dns_name,
            "AlarmTopicArn": self.alarms.topic.topic_arn,
            "FilesBucket": self.data.bucket.bucket_name,
        }
        for name, value in outputs.items():
            CfnOutput(self, name, value=value)

    @property
    def availability_zones(self) -> list[str]:
        """Fixed AZs, so that nothing looks them up in AWS during synthesis."""
        return self.cfg.availability_zones
