"""The AWS collection scenario's moto organization and its bare baseline.

`start_moto()` runs a moto server in its own process; `build_organization()` gives it an
organization of a few member accounts, each with some users, a policy, a bucket, a key, a
trail and a backup plan, so the checks that read resource by resource have something to read.

`bare_collect()` is the baseline: the same boto3 calls the collection makes (the organization's
accounts, AssumeRole into each member, the caller identity, then every check's reads in the
registry's order), one client per service and account, over the same number of threads as
the app's in-process queue, and nothing else: no verdicts, no evidence, no database.
`tests/test_benchmark_baselines.py` checks that it makes the calls the app makes.

    python -m benchmarks.aws_org ENDPOINT MANAGEMENT REGIONS ROLE_NAME THREADS

runs `bare_collect()` once and prints the number of calls and accounts as JSON.
"""

import contextlib
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

MANAGEMENT = "123456789012"  # moto's account for plain credentials
ROLE_NAME = "OrganizationAccountAccessRole"
SESSION_NAME = "isms-evidence-collector"
REGION = "us-east-1"
# moto accepts any credentials; the setup uses these throwaway ones, never the caller's chain.
SETUP_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
READ_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"}]})


def start_moto() -> tuple[subprocess.Popen, str]:
    """Start a moto server on a free loopback port; return the process and its endpoint."""
    import http.client
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    moto = os.path.join(os.path.dirname(sys.executable), "moto_server")
    process = subprocess.Popen([moto, "-H", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/moto-api/")
            conn.getresponse().read()
            conn.close()
            return process, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("moto server did not start within 60 s")


def _session(endpoint: str, account_id: str):
    """A boto3 session in an account of the organization (plain credentials: management)."""
    import boto3

    if account_id == MANAGEMENT:
        return boto3.Session(region_name=REGION, **SETUP_CREDENTIALS)
    sts = boto3.client("sts", endpoint_url=endpoint, region_name=REGION, **SETUP_CREDENTIALS)
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account_id}:role/{ROLE_NAME}",
                            RoleSessionName="bench-setup")["Credentials"]
    return boto3.Session(aws_access_key_id=creds["AccessKeyId"],
                         aws_secret_access_key=creds["SecretAccessKey"],
                         aws_session_token=creds["SessionToken"], region_name=REGION)


def build_organization(endpoint: str, members: int = 3) -> list[str]:
    """Create the organization with `members` member accounts; return every account id."""
    import boto3

    org = boto3.client("organizations", endpoint_url=endpoint, region_name=REGION,
                       **SETUP_CREDENTIALS)
    org.create_organization(FeatureSet="ALL")
    accounts = [MANAGEMENT] + [
        org.create_account(AccountName=f"bench-{n:02d}", Email=f"bench{n}@example.com")[
            "CreateAccountStatus"]["AccountId"] for n in range(members)]
    for number, account_id in enumerate(accounts):
        _furnish(_session(endpoint, account_id), endpoint, account_id, number)
    return accounts


def _furnish(session, endpoint: str, account_id: str, number: int) -> None:
    """Users, a policy, a bucket, a KMS key, a trail and a backup plan, some good, some not."""
    def client(service):
        return session.client(service, endpoint_url=endpoint, region_name=REGION)

    iam = client("iam")
    iam.update_account_password_policy(MinimumPasswordLength=16 if number % 2 else 8,
                                       RequireSymbols=True, RequireNumbers=True,
                                       RequireUppercaseCharacters=True,
                                       RequireLowercaseCharacters=True,
                                       PasswordReusePrevention=24)
    for name in ("alice", "bob", "ci"):
        iam.create_user(UserName=name)
    # moto's throwaway console password for a user of the emulated account, not a secret
    iam.create_login_profile(UserName="alice", Password="A-long-password-1!")  # noqa: S106
    iam.create_access_key(UserName="ci")
    arn = iam.create_policy(PolicyName="read", PolicyDocument=READ_POLICY)["Policy"]["Arn"]
    iam.attach_user_policy(UserName="bob", PolicyArn=arn)
    s3 = client("s3")
    for bucket in (f"data-{account_id}", f"trail-{account_id}"):
        s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=f"data-{account_id}",
                             VersioningConfiguration={"Status": "Enabled"})
    key = client("kms").create_key(Description="bench")["KeyMetadata"]["KeyId"]
    client("cloudtrail").create_trail(Name="main", S3BucketName=f"trail-{account_id}",
                                      IsMultiRegionTrail=True, EnableLogFileValidation=True,
                                      KmsKeyId=key)
    client("backup").create_backup_plan(BackupPlan={
        "BackupPlanName": "daily", "Rules": [{
            "RuleName": "daily", "TargetBackupVaultName": "Default",
            "ScheduleExpression": "cron(0 5 ? * * *)", "Lifecycle": {"DeleteAfterDays": 35}}]})


class _Clients:
    """One client per service and region of one account, as the app's probe keeps them."""

    def __init__(self, session, endpoint: str, region: str):
        from botocore.config import Config

        self.session, self.endpoint, self.region = session, endpoint, region
        self.config = Config(retries={"max_attempts": 6, "mode": "standard"})
        self.made: dict = {}

    def __call__(self, service: str, region: str | None = None):
        key = (service, region or self.region)
        if key not in self.made:
            self.made[key] = self.session.client(service, region_name=key[1],
                                                 endpoint_url=self.endpoint,
                                                 config=self.config)
        return self.made[key]


def _pages(client, operation: str, **kwargs):
    return list(client.get_paginator(operation).paginate(**kwargs))


def _tolerant(read) -> None:
    """Run one check's reads; a refused read ends that check only, as in the app."""
    from botocore.exceptions import ClientError

    with contextlib.suppress(ClientError):
        read()


def _users(iam) -> list[str]:
    return [u["UserName"] for page in _pages(iam, "list_users") for u in page["Users"]]


def _account_reads(c: _Clients, region: str) -> None:
    """Every check's reads on one account in one (its first) region, in the registry's order."""
    from botocore.exceptions import ClientError

    iam = c("iam")
    _tolerant(iam.get_account_password_policy)
    _tolerant(iam.get_account_summary)
    _tolerant(iam.get_account_summary)

    def mfa():
        for name in _users(iam):
            try:
                iam.get_login_profile(UserName=name)
            except ClientError:
                continue
            iam.list_mfa_devices(UserName=name)

    def direct_policies():
        for name in _users(iam):
            iam.list_attached_user_policies(UserName=name)
            iam.list_user_policies(UserName=name)

    def admin_policies():
        for page in _pages(iam, "list_policies", Scope="Local"):
            for policy in page["Policies"]:
                iam.get_policy_version(PolicyArn=policy["Arn"],
                                       VersionId=policy["DefaultVersionId"])

    def keys():
        for name in _users(iam):
            iam.list_access_keys(UserName=name)

    for read in (mfa, direct_policies, admin_policies, keys):
        _tolerant(read)

    def trails():
        return c("cloudtrail", region).describe_trails(includeShadowTrails=True)["trailList"]

    def trail_status():
        for trail in trails():
            c("cloudtrail", trail["HomeRegion"]).get_trail_status(Name=trail["TrailARN"])

    for read in (trail_status, trails, trails):
        _tolerant(read)
    _tolerant(lambda: c("config", region).describe_configuration_recorder_status())

    def flow_logs():
        c("ec2", region).describe_flow_logs()
        c("ec2", region).describe_vpcs()

    _tolerant(flow_logs)
    s3 = c("s3")
    for operation in ("get_public_access_block", "get_bucket_encryption",
                      "get_bucket_versioning", "get_bucket_policy", "get_bucket_logging"):
        def per_bucket(operation=operation):
            for bucket in s3.list_buckets()["Buckets"]:
                _tolerant(lambda b=bucket["Name"]: getattr(s3, operation)(Bucket=b))
        _tolerant(per_bucket)
    ec2, kms = c("ec2", region), c("kms", region)
    _tolerant(ec2.get_ebs_encryption_by_default)
    _tolerant(lambda: _pages(ec2, "describe_volumes"))
    _tolerant(lambda: _pages(ec2, "describe_security_groups"))
    _tolerant(lambda: _pages(ec2, "describe_security_groups"))

    def customer_keys(rotation: bool):
        for page in _pages(kms, "list_keys"):
            for key in page["Keys"]:
                meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
                if (rotation and meta.get("KeyManager") == "CUSTOMER"
                        and meta.get("KeyState") == "Enabled"
                        and meta.get("KeySpec") == "SYMMETRIC_DEFAULT"):
                    kms.get_key_rotation_status(KeyId=meta["KeyId"])

    _tolerant(lambda: customer_keys(True))
    _tolerant(lambda: customer_keys(False))

    def guardduty():
        client = c("guardduty", region)
        for detector in client.list_detectors()["DetectorIds"]:
            client.get_detector(DetectorId=detector)

    _tolerant(guardduty)
    _tolerant(lambda: c("securityhub", region).describe_hub())
    for _ in range(4):
        _tolerant(lambda: _pages(c("rds", region), "describe_db_instances"))

    def backup():
        client = c("backup", region)
        for plan in client.list_backup_plans()["BackupPlansList"]:
            client.get_backup_plan(BackupPlanId=plan["BackupPlanId"])

    _tolerant(backup)

    def hub_findings():  # the job's Security Hub step: active, failed findings, 100 a page
        client = c("securityhub", region)
        client.describe_hub()
        equals = [{"Comparison": "EQUALS"}]
        _pages(client, "get_findings", PaginationConfig={"PageSize": 100}, Filters={
            "RecordState": [{**equals[0], "Value": "ACTIVE"}],
            "ComplianceStatus": [{**equals[0], "Value": "FAILED"}]})

    _tolerant(hub_findings)


def _collect_account(endpoint: str, management: str, account_id: str, regions: list[str],
                     role_name: str) -> None:
    import boto3
    from botocore.config import Config

    config = Config(retries={"max_attempts": 6, "mode": "standard"})
    session = boto3.Session(region_name=regions[0])
    if account_id != management:
        sts = session.client("sts", endpoint_url=endpoint, config=config)
        creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account_id}:role/{role_name}",
                                RoleSessionName=SESSION_NAME)["Credentials"]
        session = boto3.Session(aws_access_key_id=creds["AccessKeyId"],
                                aws_secret_access_key=creds["SecretAccessKey"],
                                aws_session_token=creds["SessionToken"],
                                region_name=regions[0])
    clients = _Clients(session, endpoint, regions[0])
    clients("sts").get_caller_identity()
    _account_reads(clients, regions[0])


def bare_collect(endpoint: str, management: str, regions: list[str], role_name: str,
                 threads: int) -> int:
    """Read the organization's accounts as the collection does; return how many."""
    import boto3
    from botocore.config import Config

    org = boto3.Session(region_name=regions[0]).client(
        "organizations", endpoint_url=endpoint,
        config=Config(retries={"max_attempts": 6, "mode": "standard"}))
    accounts = sorted(a["Id"] for page in _pages(org, "list_accounts")
                      for a in page["Accounts"] if a.get("Status") == "ACTIVE")
    with ThreadPoolExecutor(threads) as pool:
        for done in [pool.submit(_collect_account, endpoint, management, account, regions,
                                 role_name) for account in accounts]:
            done.result()
    return len(accounts)


if __name__ == "__main__":
    endpoint, management, regions, role_name, threads = sys.argv[1:6]
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    started = time.perf_counter()
    count = bare_collect(endpoint, management, regions.split(","), role_name, int(threads))
    print(json.dumps({"accounts": count, "seconds": round(time.perf_counter() - started, 2)}))
