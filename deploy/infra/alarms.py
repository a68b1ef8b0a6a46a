"""CloudWatch alarms for the symptoms that need a human, all sent to one SNS topic."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from .compute import WORKER_POOLS, Compute, queue_depth
from .config import EnvironmentConfig
from .data import Data
from .edge import Edge

FIVE_MINUTES = Duration.minutes(5)


class Alarms(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        cfg: EnvironmentConfig,
        edge: Edge,
        compute: Compute,
        data: Data,
    ) -> None:
        super().__init__(scope, id)
        self.topic = sns.Topic(self, "Topic", display_name=f"{cfg.prefix} alarms", enforce_ssl=True)
        if cfg.alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(cfg.alarm_email))
        action = cw_actions.SnsAction(self.topic)
        self.alarms: list[cloudwatch.Alarm] = []

        def add(alarm_id: str, metric: cloudwatch.IMetric, **kwargs: object) -> None:
            alarm = cloudwatch.Alarm(
                self,
                alarm_id,
                metric=metric,
                alarm_description=f"{cfg.prefix}: {alarm_id}",
                **kwargs,  # type: ignore[arg-type]
            )
            alarm.add_alarm_action(action)
            alarm.add_ok_action(action)
            self.alarms.append(alarm)

        # --- edge -----------------------------------------------------------------------
        alb_metrics = edge.alb.metrics
        add(
            "Alb5xxRate",
            cloudwatch.MathExpression(
                expression="100 * (FILL(t5xx, 0) + FILL(e5xx, 0)) / MAX([FILL(req, 0), 1])",
                using_metrics={
                    "t5xx": alb_metrics.http_code_target(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, period=FIVE_MINUTES),
                    "e5xx": alb_metrics.http_code_elb(elbv2.HttpCodeElb.ELB_5XX_COUNT, period=FIVE_MINUTES),
                    "req": alb_metrics.request_count(period=FIVE_MINUTES),
                },
                label="5xx % of requests",
                period=FIVE_MINUTES,
            ),
            threshold=5,
            evaluation_periods=2,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        add(
            "TargetResponseTimeP95",
            edge.target_group.metrics.target_response_time(statistic="p95", period=FIVE_MINUTES),
            threshold=2,  # seconds
            evaluation_periods=3,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        add(
            "UnhealthyTargets",
            edge.target_group.metrics.unhealthy_host_count(period=Duration.minutes(1)),
            threshold=0,
            evaluation_periods=5,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )

        # --- queues ---------------------------------------------------------------------
        for pool in WORKER_POOLS:
            for queue in pool.queues:
                add(
                    f"QueueDepth{queue.capitalize()}",
                    queue_depth(queue).with_(period=FIVE_MINUTES),
                    threshold=cfg.alarm_queue_depth,
                    evaluation_periods=3,
                    comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                    # Missing means the publisher stopped: worth knowing, but the
                    # running-task alarms below catch a dead beat/worker first.
                    treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                )

        # --- ECS: tasks failing to stay up ----------------------------------------------
        services: dict[str, ecs.FargateService] = {
            "web": compute.web,
            **compute.workers,
            "beat": compute.beat,
        }
        for name, service in services.items():
            add(
                f"{''.join(p.capitalize() for p in name.split('-'))}RunningTasks",
                cloudwatch.Metric(
                    namespace="ECS/ContainerInsights",
                    metric_name="RunningTaskCount",
                    dimensions_map={
                        "ClusterName": compute.cluster.cluster_name,
                        "ServiceName": service.service_name,
                    },
                    statistic="Minimum",
                    period=Duration.minutes(1),
                ),
                threshold=1,
                evaluation_periods=5,
                comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
                # No data from Container Insights for a service means no task is running.
                treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
            )

        # --- data -----------------------------------------------------------------------
        add(
            "DbCapacityNearMax",
            data.cluster.metric("ServerlessDatabaseCapacity", statistic="Maximum", period=FIVE_MINUTES),
            threshold=cfg.db_max_acu * 0.9,
            evaluation_periods=3,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        add(
            "RedisMemory",
            cloudwatch.Metric(
                namespace="AWS/ElastiCache",
                metric_name="DatabaseMemoryUsagePercentage",
                # Host metrics are per node; "-001" is the first node (the initial primary).
                dimensions_map={"CacheClusterId": f"{data.redis.ref}-001"},
                statistic="Maximum",
                period=FIVE_MINUTES,
            ),
            threshold=80,
            evaluation_periods=3,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
