"""Public entry: ACM certificate (apex + wildcard), ALB with HTTPS, WAF, DNS records."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as targets
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from .config import EnvironmentConfig
from .network import Network

WEB_PORT = 8000
HEALTH_CHECK_PATH = "/healthz"


class Edge(Construct):
    """Everything between the internet and the web tasks."""

    def __init__(self, scope: Construct, id: str, *, cfg: EnvironmentConfig, network: Network) -> None:
        super().__init__(scope, id)
        # Imported by attributes: a lookup would call AWS at synth time.
        self.zone = route53.HostedZone.from_hosted_zone_attributes(
            self, "Zone", hosted_zone_id=cfg.hosted_zone_id, zone_name=cfg.hosted_zone_name
        )
        self.certificate = acm.Certificate(
            self,
            "Certificate",
            domain_name=cfg.domain,
            # Each organization is served at <slug>.<domain>.
            subject_alternative_names=[f"*.{cfg.domain}"],
            validation=acm.CertificateValidation.from_dns(self.zone),
        )

        self.alb = elbv2.ApplicationLoadBalancer(
            self,
            "Alb",
            vpc=network.vpc,
            internet_facing=True,
            vpc_subnets=network.public_subnets,
            drop_invalid_header_fields=True,
            deletion_protection=cfg.protect_data,
            idle_timeout=Duration.seconds(60),
        )
        self.target_group = elbv2.ApplicationTargetGroup(
            self,
            "WebTargets",
            vpc=network.vpc,
            port=WEB_PORT,
            protocol=elbv2.ApplicationProtocol.HTTP,
            target_type=elbv2.TargetType.IP,
            deregistration_delay=Duration.seconds(30),
            health_check=elbv2.HealthCheck(
                path=HEALTH_CHECK_PATH,
                healthy_http_codes="200",
                interval=Duration.seconds(15),
                timeout=Duration.seconds(5),
                healthy_threshold_count=2,
                unhealthy_threshold_count=3,
            ),
        )
        self.https_listener = self.alb.add_listener(
            "Https",
            port=443,
            protocol=elbv2.ApplicationProtocol.HTTPS,
            certificates=[elbv2.ListenerCertificate.from_certificate_manager(self.certificate)],
            ssl_policy=elbv2.SslPolicy.RECOMMENDED_TLS,
            default_target_groups=[self.target_group],
        )
        # Port 80 only ever answers with a permanent redirect to HTTPS.
        self.http_listener = self.alb.add_redirect(
            source_port=80,
            source_protocol=elbv2.ApplicationProtocol.HTTP,
            target_port=443,
            target_protocol=elbv2.ApplicationProtocol.HTTPS,
        )

        for name, record in (("Apex", cfg.domain), ("Wildcard", f"*.{cfg.domain}")):
            route53.ARecord(
                self,
                f"{name}Record",
                zone=self.zone,
                record_name=f"{record}.",
                target=route53.RecordTarget.from_alias(targets.LoadBalancerTarget(self.alb)),
            )

        self.web_acl = _web_acl(self, cfg)
        wafv2.CfnWebACLAssociation(
            self,
            "WafAssociation",
            resource_arn=self.alb.load_balancer_arn,
            web_acl_arn=self.web_acl.attr_arn,
        )


def _managed_rule(name: str, priority: int, *, count_only: tuple[str, ...] = ()) -> wafv2.CfnWebACL.RuleProperty:
    return wafv2.CfnWebACL.RuleProperty(
        name=name,
        priority=priority,
        override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
        statement=wafv2.CfnWebACL.StatementProperty(
            managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                vendor_name="AWS",
                name=name,
                rule_action_overrides=[
                    wafv2.CfnWebACL.RuleActionOverrideProperty(
                        name=rule, action_to_use=wafv2.CfnWebACL.RuleActionProperty(count={})
                    )
                    for rule in count_only
                ]
                or None,
            )
        ),
        visibility_config=_visibility(name),
    )


def _visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
    )


def _web_acl(scope: Construct, cfg: EnvironmentConfig) -> wafv2.CfnWebACL:
    rate_limit = wafv2.CfnWebACL.RuleProperty(
        name="RateLimitPerIp",
        priority=0,
        action=wafv2.CfnWebACL.RuleActionProperty(block={}),
        statement=wafv2.CfnWebACL.StatementProperty(
            rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                limit=cfg.waf_rate_limit_per_5min, aggregate_key_type="IP"
            )
        ),
        visibility_config=_visibility("RateLimitPerIp"),
    )
    return wafv2.CfnWebACL(
        scope,
        "WebAcl",
        scope="REGIONAL",
        default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
        visibility_config=_visibility(f"{cfg.prefix}-waf"),
        rules=[
            rate_limit,
            # The common rule set blocks bodies over 8 KB; cost-report uploads are larger,
            # so that one rule only counts (Django enforces its own upload limits).
            _managed_rule("AWSManagedRulesCommonRuleSet", 1, count_only=("SizeRestrictions_BODY",)),
            _managed_rule("AWSManagedRulesKnownBadInputsRuleSet", 2),
            _managed_rule("AWSManagedRulesSQLiRuleSet", 3),
        ],
    )
