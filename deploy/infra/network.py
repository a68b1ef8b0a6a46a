"""VPC over two AZs, with VPC endpoints for the AWS APIs the tasks call most."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Validations
from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from .config import EnvironmentConfig


class Network(Construct):
    """Public subnets (ALB, NAT), private subnets (tasks), isolated subnets (data).

    Interface endpoints cost per hour, but image pulls, secrets, logs and Bedrock calls
    would otherwise go through the NAT gateways at a per-GB charge and an extra hop.
    """

    def __init__(self, scope: Construct, id: str, *, cfg: EnvironmentConfig) -> None:
        super().__init__(scope, id)
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr(cfg.vpc_cidr),
            availability_zones=cfg.availability_zones,
            nat_gateways=cfg.nat_gateways,
            subnet_configuration=[
                ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24),
                ec2.SubnetConfiguration(name="app", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=20),
                # Database and cache need no route out of the VPC at all.
                ec2.SubnetConfiguration(name="data", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=24),
            ],
        )
        Validations.of(self.vpc).acknowledge(
            Acknowledgment(
                id="CloudFormation-Validate::W3010",
                reason="AZs are chosen in config so synthesis needs no AWS lookup",
            )
        )
        self.app_subnets = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
        self.data_subnets = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
        self.app_subnet_ids = self.vpc.select_subnets(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS).subnet_ids
        self.public_subnets = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC)

        # Gateway endpoint: free, and keeps S3 traffic (uploads, ECR layers) off the NAT.
        self.vpc.add_gateway_endpoint("S3", service=ec2.GatewayVpcEndpointAwsService.S3, subnets=[self.app_subnets])
        interface_services = {
            "EcrApi": ec2.InterfaceVpcEndpointAwsService.ECR,
            "EcrDocker": ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
            "SecretsManager": ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
            "Logs": ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
            "BedrockRuntime": ec2.InterfaceVpcEndpointAwsService.BEDROCK_RUNTIME,
        }
        for name, service in interface_services.items():
            # open=True (default) admits HTTPS from the VPC CIDR only.
            self.vpc.add_interface_endpoint(name, service=service, subnets=self.app_subnets, private_dns_enabled=True)
