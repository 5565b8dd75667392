"""An AWS Organization's active member accounts, filtered by account id or OU."""

from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError

from connectors.aws.collectors.base import error_code, retry_config
from connectors.aws.collectors.session import AccountError, Target, open_session


@dataclass(frozen=True)
class Member:
    account_id: str
    name: str


def list_members(target: Target, include: list[str], exclude: list[str]) -> list[Member]:
    """Return the active accounts, from the management (or delegated admin) account."""
    try:
        session = open_session(target)
        client = session.client("organizations", endpoint_url=target.endpoint_url or None,
                                config=retry_config())
        accounts = [a for page in client.get_paginator("list_accounts").paginate()
                    for a in page["Accounts"] if a.get("Status") == "ACTIVE"]
        wanted = _expand(client, include) if include else None
        unwanted = _expand(client, exclude)
    except (BotoCoreError, ClientError) as error:
        raise AccountError(f"Could not list the organization's accounts: "
                           f"{error_code(error)}") from error
    members = [Member(a["Id"], a.get("Name", "")) for a in accounts
               if (wanted is None or a["Id"] in wanted) and a["Id"] not in unwanted]
    return sorted(members, key=lambda m: m.account_id)


def _expand(client, ids: list[str]) -> set[str]:
    """Account ids as given, and every account under each OU (ou-...) or root (r-...)."""
    found: set[str] = set()
    for value in ids:
        if value.startswith(("ou-", "r-")):
            found |= _accounts_under(client, value)
        else:
            found.add(value)
    return found


def _accounts_under(client, parent: str) -> set[str]:
    found = {a["Id"] for page in client.get_paginator("list_accounts_for_parent").paginate(
        ParentId=parent) for a in page["Accounts"]}
    for page in client.get_paginator("list_organizational_units_for_parent").paginate(
            ParentId=parent):
        for unit in page["OrganizationalUnits"]:
            found |= _accounts_under(client, unit["Id"])
    return found
