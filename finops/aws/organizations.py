"""AWS Organizations: names of the payer's member accounts, when the role may list them."""

from __future__ import annotations

from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError

from finops.aws import Credentials, call_error, client


@dataclass(frozen=True)
class OrganizationAccount:
    account_id: str
    name: str
    status: str


def list_accounts(*, credentials: Credentials) -> list[OrganizationAccount]:
    """Every account of the payer's organization; raises AwsCallError (AccessDenied / AWSOrganizationsNotInUse…)."""
    accounts: list[OrganizationAccount] = []
    try:
        paginator = client("organizations", credentials).get_paginator("list_accounts")
        for page in paginator.paginate():
            for item in page.get("Accounts", []):
                accounts.append(
                    OrganizationAccount(account_id=item["Id"], name=item.get("Name", ""), status=item.get("Status", ""))
                )
    except (ClientError, BotoCoreError) as error:
        raise call_error("organizations:ListAccounts", error) from error
    return accounts
