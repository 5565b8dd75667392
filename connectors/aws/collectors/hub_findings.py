"""Security Hub's own findings: the active, failed ones of one account in one region.

GetFindings is asked for RecordState ACTIVE, ComplianceStatus FAILED and the account's own id
(an administrator account also sees its members' findings; each member is read on its own),
100 a page. The same filters are applied again here, because not every endpoint honours them
(moto ignores Filters altogether). Suppressed findings are kept: they are counted apart.
"""

from dataclasses import dataclass, field

from botocore.exceptions import BotoCoreError, ClientError

from connectors.aws.collectors.base import Probe, client_error_code, error_code

NOT_ENABLED = frozenset({"InvalidAccessException", "ResourceNotFoundException"})
DENIED = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation",
                    "UnrecognizedClientException", "InvalidClientTokenId"})
PAGE_SIZE = 100


@dataclass(frozen=True)
class HubRead:
    """What one region gave: status read, not_enabled, denied or error; the findings kept."""

    status: str
    detail: str
    findings: list = field(default_factory=list)


def filters(account_id: str) -> dict:
    """The GetFindings filters: active, failed findings of this account only."""
    def equals(value: str) -> list:
        return [{"Value": value, "Comparison": "EQUALS"}]

    return {"RecordState": equals("ACTIVE"), "ComplianceStatus": equals("FAILED"),
            "AwsAccountId": equals(account_id)}


def is_kept(finding: dict, account_id: str) -> bool:
    """The filters again, on our side: an endpoint that ignores them must not widen the read."""
    return (finding.get("RecordState") == "ACTIVE"
            and (finding.get("Compliance") or {}).get("Status") == "FAILED"
            and finding.get("AwsAccountId") == account_id)


def read_failed_findings(probe: Probe, region: str, account_id: str) -> HubRead:
    """Read every active, failed finding of the account in the region, page after page."""
    client = probe.client("securityhub", region)
    try:
        client.describe_hub()
        pages = client.get_paginator("get_findings").paginate(
            Filters=filters(account_id), PaginationConfig={"PageSize": PAGE_SIZE})
        found = [f for page in pages for f in page["Findings"] if is_kept(f, account_id)]
    except ClientError as error:
        code = client_error_code(error)
        if code in NOT_ENABLED:
            return HubRead("not_enabled", "Security Hub is not enabled")
        if code in DENIED:
            return HubRead("denied", f"access denied ({error_code(error)})")
        return HubRead("error", f"could not read: {error_code(error)}")
    except BotoCoreError as error:
        return HubRead("error", f"could not read: {error_code(error)}")
    return HubRead("read", f"{len(found)} active failed findings", found)
