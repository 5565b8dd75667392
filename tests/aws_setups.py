"""Each AWS check's compliant and non-compliant setup on a fresh moto account."""

import json

from tests.aws_helpers import REGION, Account, ssl_only_policy

ADMIN_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "*", "Resource": "*"}]})
READ_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"}]})


def password_policy(acct: Account, good: bool):
    acct.client("iam").update_account_password_policy(
        MinimumPasswordLength=16 if good else 8, RequireSymbols=True, RequireNumbers=True,
        RequireUppercaseCharacters=True, RequireLowercaseCharacters=good,
        PasswordReusePrevention=24)


def user_mfa(acct: Account, good: bool):
    iam = acct.client("iam")
    iam.create_user(UserName="alice")
    iam.create_login_profile(UserName="alice", Password="A-long-password-1!")
    iam.create_user(UserName="robot")  # no console access: not judged
    if good:
        serial = iam.create_virtual_mfa_device(VirtualMFADeviceName="alice")[
            "VirtualMFADevice"]["SerialNumber"]
        iam.enable_mfa_device(UserName="alice", SerialNumber=serial,
                              AuthenticationCode1="123456", AuthenticationCode2="654321")


def user_policies(acct: Account, good: bool):
    iam = acct.client("iam")
    iam.create_user(UserName="bob")
    arn = iam.create_policy(PolicyName="read", PolicyDocument=READ_POLICY)["Policy"]["Arn"]
    iam.create_group(GroupName="readers")
    iam.attach_group_policy(GroupName="readers", PolicyArn=arn)
    iam.add_user_to_group(GroupName="readers", UserName="bob")
    if not good:
        iam.attach_user_policy(UserName="bob", PolicyArn=arn)


def admin_policies(acct: Account, good: bool):
    iam = acct.client("iam")
    iam.create_policy(PolicyName="read", PolicyDocument=READ_POLICY)
    if not good:
        iam.create_policy(PolicyName="god-mode", PolicyDocument=ADMIN_POLICY)


def access_keys(acct: Account, good: bool):
    iam = acct.client("iam")
    iam.create_user(UserName="ci")
    key = iam.create_access_key(UserName="ci")["AccessKey"]
    if not good:
        iam.update_access_key(UserName="ci", AccessKeyId=key["AccessKeyId"], Status="Active")


def _trail(acct: Account, multi_region=True, validation=True, kms=True, logging=True):
    s3, trail = acct.client("s3"), acct.client("cloudtrail")
    s3.create_bucket(Bucket=f"trail-{acct.id}")
    args = {"Name": "main", "S3BucketName": f"trail-{acct.id}",
            "IsMultiRegionTrail": multi_region, "EnableLogFileValidation": validation}
    if kms:
        args["KmsKeyId"] = acct.client("kms").create_key()["KeyMetadata"]["Arn"]
    trail.create_trail(**args)
    if logging:
        trail.start_logging(Name="main")


def trail_multi_region(acct, good):
    _trail(acct, multi_region=good)


def trail_validation(acct, good):
    _trail(acct, validation=good)


def trail_encrypted(acct, good):
    _trail(acct, kms=good)


def config_recording(acct: Account, good: bool):
    config = acct.client("config")
    config.put_configuration_recorder(ConfigurationRecorder={
        "name": "default", "roleARN": f"arn:aws:iam::{acct.id}:role/config",
        "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True}})
    acct.client("s3").create_bucket(Bucket=f"config-{acct.id}")
    config.put_delivery_channel(DeliveryChannel={"name": "default",
                                                 "s3BucketName": f"config-{acct.id}"})
    if good:
        config.start_configuration_recorder(ConfigurationRecorderName="default")


def flow_logs(acct: Account, good: bool):
    ec2 = acct.client("ec2")
    ec2.create_vpc(CidrBlock="10.9.0.0/16")
    vpc_ids = [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]]
    acct.client("s3").create_bucket(Bucket=f"flow-{acct.id}")
    ec2.create_flow_logs(ResourceIds=vpc_ids if good else vpc_ids[:1], ResourceType="VPC",
                         TrafficType="ALL", LogDestinationType="s3",
                         LogDestination=f"arn:aws:s3:::flow-{acct.id}")


def _bucket(acct: Account, name: str = "data") -> str:
    bucket = f"{name}-{acct.id}"
    acct.client("s3").create_bucket(Bucket=bucket)
    return bucket


def s3_public(acct: Account, good: bool):
    bucket = _bucket(acct)
    acct.client("s3").put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": good,
        "RestrictPublicBuckets": True})


def s3_kms(acct: Account, good: bool):
    bucket = _bucket(acct)
    rule = {"SSEAlgorithm": "aws:kms"} if good else {"SSEAlgorithm": "AES256"}
    acct.client("s3").put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": rule}]})


def s3_versioning(acct: Account, good: bool):
    bucket = _bucket(acct)
    acct.client("s3").put_bucket_versioning(Bucket=bucket, VersioningConfiguration={
        "Status": "Enabled" if good else "Suspended"})


def s3_ssl(acct: Account, good: bool):
    bucket = _bucket(acct)
    if good:
        acct.client("s3").put_bucket_policy(Bucket=bucket, Policy=ssl_only_policy(bucket))


def s3_logging(acct: Account, good: bool):
    s3 = acct.client("s3")
    logs = f"logs-{acct.id}"
    s3.create_bucket(Bucket=logs)
    s3.put_bucket_acl(Bucket=logs, ACL="log-delivery-write")
    target = {"LoggingEnabled": {"TargetBucket": logs, "TargetPrefix": "access/"}}
    s3.put_bucket_logging(Bucket=logs, BucketLoggingStatus=target)
    bucket = _bucket(acct)
    if good:
        s3.put_bucket_logging(Bucket=bucket, BucketLoggingStatus=target)


def ebs_default(acct: Account, good: bool):
    if good:
        acct.client("ec2").enable_ebs_encryption_by_default()


def volumes(acct: Account, good: bool):
    acct.client("ec2").create_volume(AvailabilityZone=f"{REGION}a", Size=8, Encrypted=good)


def admin_ports(acct: Account, good: bool):
    ec2 = acct.client("ec2")
    group = ec2.create_security_group(GroupName="web", Description="web")["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 443 if good else 22, "ToPort": 443 if good else 22,
        "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])


def default_sg(acct: Account, good: bool):
    if not good:
        return
    ec2 = acct.client("ec2")
    for group in ec2.describe_security_groups(Filters=[
            {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"]:
        if group["IpPermissionsEgress"]:
            ec2.revoke_security_group_egress(GroupId=group["GroupId"],
                                             IpPermissions=group["IpPermissionsEgress"])
        if group["IpPermissions"]:
            ec2.revoke_security_group_ingress(GroupId=group["GroupId"],
                                              IpPermissions=group["IpPermissions"])


def kms_rotation(acct: Account, good: bool):
    kms = acct.client("kms")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    if good:
        kms.enable_key_rotation(KeyId=key)


def kms_deletion(acct: Account, good: bool):
    kms = acct.client("kms")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    if not good:
        kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)


def guardduty(acct: Account, good: bool):
    acct.client("guardduty").create_detector(Enable=good)


def securityhub(acct: Account, good: bool):
    if good:
        acct.client("securityhub").enable_security_hub()


def _database(acct: Account, **overrides):
    args = {"DBInstanceIdentifier": "orders", "DBInstanceClass": "db.t3.micro",
            "Engine": "postgres", "MasterUsername": "admin", "MasterUserPassword": "x" * 12,
            "AllocatedStorage": 20, "StorageEncrypted": True, "BackupRetentionPeriod": 14,
            "PubliclyAccessible": False, "MultiAZ": True, **overrides}
    acct.client("rds").create_db_instance(**args)


def rds_encrypted(acct, good):
    _database(acct, StorageEncrypted=good)


def rds_backups(acct, good):
    _database(acct, BackupRetentionPeriod=14 if good else 0)


def rds_public(acct, good):
    _database(acct, PubliclyAccessible=not good)


def rds_multi_az(acct, good):
    _database(acct, MultiAZ=good)


def backup_plan(acct: Account, good: bool):
    acct.client("backup").create_backup_plan(BackupPlan={
        "BackupPlanName": "daily", "Rules": [{
            "RuleName": "daily", "TargetBackupVaultName": "Default",
            "ScheduleExpression": "cron(0 5 ? * * *)",
            "Lifecycle": {"DeleteAfterDays": 35 if good else 7}}]})


SETUPS = {
    "iam-password-policy": password_policy,
    "iam-user-mfa": user_mfa,
    "iam-user-no-direct-policies": user_policies,
    "iam-no-admin-policies": admin_policies,
    "cloudtrail-multi-region": trail_multi_region,
    "cloudtrail-log-validation": trail_validation,
    "cloudtrail-encrypted": trail_encrypted,
    "config-recording": config_recording,
    "vpc-flow-logs": flow_logs,
    "s3-public-access-blocked": s3_public,
    "s3-default-encryption-kms": s3_kms,
    "s3-versioning": s3_versioning,
    "s3-ssl-requests-only": s3_ssl,
    "s3-access-logging": s3_logging,
    "ebs-encryption-by-default": ebs_default,
    "ebs-volumes-encrypted": volumes,
    "ec2-admin-ports-restricted": admin_ports,
    "ec2-default-security-group-closed": default_sg,
    "kms-key-rotation": kms_rotation,
    "kms-no-pending-deletion": kms_deletion,
    "guardduty-enabled": guardduty,
    "securityhub-enabled": securityhub,
    "rds-storage-encrypted": rds_encrypted,
    "rds-backups": rds_backups,
    "rds-not-public": rds_public,
    "rds-multi-az": rds_multi_az,
    "backup-plan": backup_plan,
}

# Checks moto cannot put in both states; they are tested on recorded API responses.
RECORDED_ONLY = {"iam-root-mfa", "iam-root-no-access-keys", "iam-access-keys-rotated"}
