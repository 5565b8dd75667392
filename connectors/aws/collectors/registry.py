"""Every AWS check in one list, with the 2013 and 2022 controls it gives evidence for.

Control ids follow the `aws_evidence` column of the AWS responsibility catalog and the Annex B
mapping from 2013 to 2022.
"""

from connectors.aws.collectors import compute, iam, s3, services, trails
from connectors.aws.collectors.base import Check

CHECKS: tuple[Check, ...] = (
    Check("iam-password-policy", "IAM password policy meets the baseline",
          ("A.9.2.4", "A.9.4.3"), ("A.5.17",), iam.password_policy),
    Check("iam-root-mfa", "Root user has MFA",
          ("A.9.2.3", "A.9.4.2"), ("A.8.2", "A.8.5"), iam.root_mfa),
    Check("iam-root-no-access-keys", "Root user has no access keys",
          ("A.9.2.3",), ("A.8.2",), iam.root_no_access_keys),
    Check("iam-user-mfa", "Console users have MFA",
          ("A.9.4.2",), ("A.8.5",), iam.users_mfa),
    Check("iam-user-no-direct-policies", "Users get permissions through groups or roles",
          ("A.9.2.2",), ("A.5.18",), iam.users_no_direct_policies),
    Check("iam-no-admin-policies", "No customer policy grants full admin",
          ("A.6.1.2", "A.9.2.3"), ("A.5.3", "A.8.2"), iam.no_admin_policies),
    Check("iam-access-keys-rotated", "Access keys are younger than 90 days",
          ("A.9.2.4",), ("A.5.17",), iam.access_keys_rotated),
    Check("cloudtrail-multi-region", "A multi-region CloudTrail trail is logging",
          ("A.12.4.1", "A.12.4.3"), ("A.8.15",), trails.trail_multi_region_logging),
    Check("cloudtrail-log-validation", "CloudTrail validates its log files",
          ("A.12.4.2", "A.16.1.7"), ("A.8.15", "A.5.28"), trails.trail_log_validation),
    Check("cloudtrail-encrypted", "CloudTrail logs are encrypted with KMS",
          ("A.12.4.2",), ("A.8.15",), trails.trail_encrypted),
    Check("config-recording", "AWS Config records resource changes",
          ("A.8.1.1", "A.12.1.2"), ("A.5.9", "A.8.32"), trails.config_recording),
    Check("vpc-flow-logs", "Every VPC has flow logs",
          ("A.12.4.1", "A.13.1.1"), ("A.8.15", "A.8.20"), trails.vpc_flow_logs),
    Check("s3-public-access-blocked", "S3 buckets block public access",
          ("A.8.2.3", "A.9.4.1"), ("A.5.10", "A.8.3"), s3.public_access_blocked),
    Check("s3-default-encryption-kms", "S3 buckets encrypt with KMS by default",
          ("A.8.2.3", "A.10.1.1"), ("A.5.10", "A.8.24"), s3.default_encryption_kms),
    Check("s3-versioning", "S3 buckets keep object versions",
          ("A.12.3.1",), ("A.8.13",), s3.versioning_enabled),
    Check("s3-ssl-requests-only", "S3 bucket policies refuse plain HTTP",
          ("A.10.1.1", "A.13.2.1"), ("A.8.24", "A.5.14"), s3.ssl_requests_only),
    Check("s3-access-logging", "S3 buckets log server access",
          ("A.12.4.1",), ("A.8.15",), s3.access_logging),
    Check("ebs-encryption-by-default", "EBS encrypts new volumes by default",
          ("A.10.1.1",), ("A.8.24",), compute.ebs_encryption_by_default),
    Check("ebs-volumes-encrypted", "EBS volumes are encrypted",
          ("A.8.2.3", "A.10.1.1"), ("A.5.10", "A.8.24"), compute.volumes_encrypted),
    Check("ec2-admin-ports-restricted", "No security group opens SSH or RDP to the internet",
          ("A.9.1.2", "A.13.1.1"), ("A.5.15", "A.8.20"), compute.admin_ports_restricted),
    Check("ec2-default-security-group-closed", "Default security groups allow no traffic",
          ("A.9.1.2", "A.13.1.1"), ("A.5.15", "A.8.20"),
          compute.default_security_group_closed),
    Check("kms-key-rotation", "Customer KMS keys rotate",
          ("A.10.1.2",), ("A.8.24",), compute.kms_rotation),
    Check("kms-no-pending-deletion", "No customer KMS key is scheduled for deletion",
          ("A.10.1.2",), ("A.8.24",), compute.kms_not_pending_deletion),
    Check("guardduty-enabled", "GuardDuty is enabled",
          ("A.12.2.1", "A.16.1.2"), ("A.8.7", "A.6.8"), services.guardduty_enabled),
    Check("securityhub-enabled", "Security Hub is enabled",
          ("A.16.1.2", "A.18.2.3"), ("A.6.8", "A.5.36", "A.8.8"),
          services.securityhub_enabled),
    Check("rds-storage-encrypted", "RDS storage is encrypted",
          ("A.10.1.1",), ("A.8.24",), services.rds_encrypted),
    Check("rds-backups", "RDS keeps automated backups 7+ days",
          ("A.12.3.1",), ("A.8.13",), services.rds_backups),
    Check("rds-not-public", "RDS instances are not public",
          ("A.9.4.1",), ("A.8.3",), services.rds_not_public),
    Check("rds-multi-az", "RDS instances run in several zones",
          ("A.17.1.2", "A.17.2.1"), ("A.5.29", "A.8.14"), services.rds_multi_az),
    Check("backup-plan", "AWS Backup runs daily and keeps 35+ days",
          ("A.12.3.1", "A.17.1.2"), ("A.8.13", "A.5.29"), services.backup_plan),
)

BY_ID = {check.id: check for check in CHECKS}


def controls_of(check_id: str, edition: str) -> tuple[str, ...]:
    """Return the controls of an edition that a check gives evidence for."""
    check = BY_ID.get(check_id)
    if check is None:
        return ()
    return check.controls_2013 if edition == "2013" else check.controls_2022


# Checks read region by region: each account x region job runs these for its own region. The
# others are account-wide (IAM, S3, CloudTrail) and run once, in the account's first region.
REGIONAL = frozenset({
    "config-recording", "vpc-flow-logs", "ebs-encryption-by-default", "ebs-volumes-encrypted",
    "ec2-admin-ports-restricted", "ec2-default-security-group-closed", "kms-key-rotation",
    "kms-no-pending-deletion", "guardduty-enabled", "securityhub-enabled",
    "rds-storage-encrypted", "rds-backups", "rds-not-public", "rds-multi-az", "backup-plan"})
# Checks that pass when any region passes (one good backup plan covers the account).
ANY_REGION = frozenset({"backup-plan"})


def checks_for(is_primary: bool) -> tuple[Check, ...]:
    """Return the checks one account x region job runs: regional ones, plus the rest first."""
    return tuple(c for c in CHECKS if c.id in REGIONAL or is_primary)
