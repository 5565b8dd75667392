"""Test a connection: who the credentials are, and one harmless read per service."""

from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError

from connectors.aws.collectors.base import error_code, retry_config
from connectors.aws.collectors.session import Target, open_session

# One read-only call per service the checks use: (label, service, operation, arguments).
READS = (
    ("IAM", "iam", "get_account_summary", {}),
    ("S3", "s3", "list_buckets", {}),
    ("EC2", "ec2", "get_ebs_encryption_by_default", {}),
    ("KMS", "kms", "list_keys", {"Limit": 1}),
    ("CloudTrail", "cloudtrail", "describe_trails", {}),
    ("AWS Config", "config", "describe_configuration_recorders", {}),
    ("GuardDuty", "guardduty", "list_detectors", {}),
    ("Security Hub", "securityhub", "get_findings", {"MaxResults": 1}),
    ("RDS", "rds", "describe_db_instances", {"MaxRecords": 20}),
    ("AWS Backup", "backup", "list_backup_plans", {}),
)
ORGANIZATION_READ = ("Organizations", "organizations", "list_accounts", {"MaxResults": 1})


@dataclass(frozen=True)
class Reach:
    service: str
    is_reachable: bool
    detail: str


def test_reach(target: Target, organization: bool = False) -> list[Reach]:
    """Return the caller identity, then whether each service answers (denied says why)."""
    try:
        session = open_session(target)
        sts = session.client("sts", endpoint_url=target.endpoint_url or None,
                             config=retry_config())
        identity = sts.get_caller_identity()
    except (BotoCoreError, ClientError) as error:
        return [Reach("STS identity", False, f"Could not sign in: {error_code(error)}")]
    found = [Reach("STS identity", identity["Account"] == target.account_id,
                   f"{identity['Arn']} in account {identity['Account']}"
                   + ("" if identity["Account"] == target.account_id
                      else f", not the configured {target.account_id}"))]
    reads = READS + ((ORGANIZATION_READ,) if organization else ())
    for label, service, operation, arguments in reads:
        client = session.client(service, region_name=target.regions[0],
                                endpoint_url=target.endpoint_url or None, config=retry_config())
        try:
            getattr(client, operation)(**arguments)
        except (BotoCoreError, ClientError) as error:
            found.append(Reach(label, False, error_code(error)))
        else:
            found.append(Reach(label, True, f"{operation} answered"))
    return found
