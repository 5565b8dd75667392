"""S3 checks, bucket by bucket: public access, KMS encryption, versioning, TLS, logging."""

import json

from botocore.exceptions import ClientError

from connectors.aws.collectors.base import Probe, Result, client_error_code, verdict_of

BLOCK_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy",
               "RestrictPublicBuckets")


def _buckets(probe: Probe) -> list[str]:
    return sorted(b["Name"] for b in probe.client("s3").list_buckets()["Buckets"])


def _absent(error: ClientError, *codes: str) -> bool:
    """True when the error only says the setting is not there."""
    return client_error_code(error) in codes


def _per_bucket(probe: Probe, read, label: str, what: str = "buckets") -> Result:
    """Apply read(s3, bucket) -> (row, ok) to each bucket and judge them together."""
    s3, rows, problems = probe.client("s3"), {}, []
    for bucket in _buckets(probe):
        row, ok = read(s3, bucket)
        rows[bucket] = row
        if not ok:
            problems.append(bucket)
    return verdict_of(problems, len(rows), what, {label: rows})


def _public_access(s3, bucket: str):
    try:
        config = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    except ClientError as error:
        if not _absent(error, "NoSuchPublicAccessBlockConfiguration"):
            raise
        config = {}
    row = {flag: bool(config.get(flag)) for flag in BLOCK_FLAGS}
    return row, all(row.values())


def public_access_blocked(probe: Probe) -> Result:
    """Every bucket blocks public ACLs and public policies."""
    return _per_bucket(probe, _public_access, "buckets")


def _kms_encryption(s3, bucket: str):
    try:
        rules = s3.get_bucket_encryption(Bucket=bucket)[
            "ServerSideEncryptionConfiguration"]["Rules"]
    except ClientError as error:
        if not _absent(error, "ServerSideEncryptionConfigurationNotFoundError"):
            raise
        rules = []
    algorithms = sorted({r["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"]
                         for r in rules if "ApplyServerSideEncryptionByDefault" in r})
    return {"algorithms": algorithms}, any(a.startswith("aws:kms") for a in algorithms)


def default_encryption_kms(probe: Probe) -> Result:
    """Every bucket encrypts new objects with a KMS key by default."""
    return _per_bucket(probe, _kms_encryption, "buckets")


def _versioning(s3, bucket: str):
    status = s3.get_bucket_versioning(Bucket=bucket).get("Status", "Off")
    return {"versioning": status}, status == "Enabled"


def versioning_enabled(probe: Probe) -> Result:
    """Every bucket keeps object versions."""
    return _per_bucket(probe, _versioning, "buckets")


def _denies_plain_http(policy: dict) -> bool:
    for statement in policy.get("Statement", []):
        condition = statement.get("Condition", {}).get("Bool", {})
        if (statement.get("Effect") == "Deny"
                and str(condition.get("aws:SecureTransport", "")).lower() == "false"):
            return True
    return False


def _ssl_only(s3, bucket: str):
    try:
        policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    except ClientError as error:
        if not _absent(error, "NoSuchBucketPolicy"):
            raise
        policy = {}
    denies = _denies_plain_http(policy)
    return {"denies_plain_http": denies}, denies


def ssl_requests_only(probe: Probe) -> Result:
    """Every bucket policy refuses requests that do not use TLS."""
    return _per_bucket(probe, _ssl_only, "buckets")


def _logging(s3, bucket: str):
    enabled = s3.get_bucket_logging(Bucket=bucket).get("LoggingEnabled")
    return {"access_logging": bool(enabled),
            "target": enabled["TargetBucket"] if enabled else None}, bool(enabled)


def access_logging(probe: Probe) -> Result:
    """Every bucket logs server access."""
    return _per_bucket(probe, _logging, "buckets")
