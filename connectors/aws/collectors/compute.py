"""EC2, EBS and KMS checks: default and volume encryption, security groups, key rotation."""

from connectors.aws.collectors.base import Probe, Result, verdict_of

ADMIN_PORTS = (22, 3389)


def ebs_encryption_by_default(probe: Probe) -> Result:
    """New EBS volumes are encrypted by default in every configured region."""
    rows = probe.per_region(lambda region: {"encryption_by_default": bool(
        probe.client("ec2", region).get_ebs_encryption_by_default()["EbsEncryptionByDefault"])})
    problems = [r for r, row in rows.items() if not row["encryption_by_default"]]
    return verdict_of(problems, len(rows), "regions", {"regions": rows})


def volumes_encrypted(probe: Probe) -> Result:
    """Every EBS volume is encrypted."""
    rows, problems = {}, []
    for region in probe.regions:
        pages = probe.client("ec2", region).get_paginator("describe_volumes").paginate()
        for volume in (v for page in pages for v in page["Volumes"]):
            name = f"{region}/{volume['VolumeId']}"
            rows[name] = {"encrypted": bool(volume.get("Encrypted"))}
            if not volume.get("Encrypted"):
                problems.append(name)
    return verdict_of(problems, len(rows), "volumes", {"volumes": rows})


def _open_to_world(permission: dict) -> bool:
    return (any(r.get("CidrIp") == "0.0.0.0/0" for r in permission.get("IpRanges", []))
            or any(r.get("CidrIpv6") == "::/0" for r in permission.get("Ipv6Ranges", [])))


def _exposes(permission: dict, port: int) -> bool:
    if permission.get("IpProtocol") == "-1":
        return True
    low, high = permission.get("FromPort"), permission.get("ToPort")
    return low is not None and high is not None and low <= port <= high


def _security_groups(probe: Probe):
    for region in probe.regions:
        pages = probe.client("ec2", region).get_paginator(
            "describe_security_groups").paginate()
        for group in (g for page in pages for g in page["SecurityGroups"]):
            yield region, group


def admin_ports_restricted(probe: Probe) -> Result:
    """No security group lets the whole internet reach SSH or RDP."""
    rows, problems = {}, []
    for region, group in _security_groups(probe):
        name = f"{region}/{group['GroupId']}"
        exposed = sorted({port for p in group.get("IpPermissions", []) if _open_to_world(p)
                          for port in ADMIN_PORTS if _exposes(p, port)})
        rows[name] = {"world_open_admin_ports": exposed}
        if exposed:
            problems.append(name)
    return verdict_of(problems, len(rows), "security groups", {"groups": rows})


def default_security_group_closed(probe: Probe) -> Result:
    """Default security groups allow no traffic in or out."""
    rows, problems = {}, []
    for region, group in _security_groups(probe):
        if group["GroupName"] != "default":
            continue
        name = f"{region}/{group['VpcId']}"
        rules = len(group.get("IpPermissions", [])) + len(group.get("IpPermissionsEgress", []))
        rows[name] = {"rules": rules}
        if rules:
            problems.append(name)
    return verdict_of(problems, len(rows), "default security groups", {"groups": rows})


def _customer_keys(probe: Probe):
    for region in probe.regions:
        kms = probe.client("kms", region)
        for page in kms.get_paginator("list_keys").paginate():
            for key in page["Keys"]:
                meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
                if meta.get("KeyManager") == "CUSTOMER":
                    yield region, kms, meta


def kms_rotation(probe: Probe) -> Result:
    """Every enabled symmetric customer key rotates automatically."""
    rows, problems = {}, []
    for region, kms, meta in _customer_keys(probe):
        if meta.get("KeyState") != "Enabled" or meta.get("KeySpec") != "SYMMETRIC_DEFAULT":
            continue
        name = f"{region}/{meta['KeyId']}"
        rotating = bool(kms.get_key_rotation_status(KeyId=meta["KeyId"])["KeyRotationEnabled"])
        rows[name] = {"rotation": rotating}
        if not rotating:
            problems.append(name)
    return verdict_of(problems, len(rows), "customer keys", {"keys": rows})


def kms_not_pending_deletion(probe: Probe) -> Result:
    """No customer key is scheduled for deletion."""
    rows, problems = {}, []
    for region, _, meta in _customer_keys(probe):
        name = f"{region}/{meta['KeyId']}"
        rows[name] = {"state": meta.get("KeyState")}
        if meta.get("KeyState") == "PendingDeletion":
            problems.append(name)
    return verdict_of(problems, len(rows), "customer keys", {"keys": rows})
