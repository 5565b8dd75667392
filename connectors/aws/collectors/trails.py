"""Logging checks: CloudTrail, AWS Config recording and VPC flow logs."""

from connectors.aws.collectors.base import Probe, Result, Verdict, verdict_of


def _trails(probe: Probe) -> list[dict]:
    """Every trail visible from the configured regions, once each."""
    found = {}
    for region in probe.regions:
        for trail in probe.client("cloudtrail", region).describe_trails(
                includeShadowTrails=True)["trailList"]:
            found.setdefault(trail["TrailARN"], trail)
    return [found[arn] for arn in sorted(found)]


def trail_multi_region_logging(probe: Probe) -> Result:
    """At least one multi-region trail is logging."""
    rows = {}
    for trail in _trails(probe):
        status = probe.client("cloudtrail", trail["HomeRegion"]).get_trail_status(
            Name=trail["TrailARN"])
        rows[trail["Name"]] = {"multi_region": bool(trail.get("IsMultiRegionTrail")),
                               "logging": bool(status.get("IsLogging"))}
    data = {"trails": rows}
    if any(r["multi_region"] and r["logging"] for r in rows.values()):
        return Result(Verdict.PASS, "A multi-region trail is logging.", data)
    return Result(Verdict.FAIL, "No multi-region trail is logging.", data)


def trail_log_validation(probe: Probe) -> Result:
    """Every trail validates its log files, so tampering shows."""
    rows = {t["Name"]: {"log_file_validation": bool(t.get("LogFileValidationEnabled"))}
            for t in _trails(probe)}
    problems = [name for name, row in rows.items() if not row["log_file_validation"]]
    return verdict_of(problems, len(rows), "trails", {"trails": rows})


def trail_encrypted(probe: Probe) -> Result:
    """Every trail encrypts its logs with a KMS key."""
    rows = {t["Name"]: {"kms_encrypted": bool(t.get("KmsKeyId"))} for t in _trails(probe)}
    problems = [name for name, row in rows.items() if not row["kms_encrypted"]]
    return verdict_of(problems, len(rows), "trails", {"trails": rows})


def config_recording(probe: Probe) -> Result:
    """AWS Config records resource changes in every configured region."""
    rows, problems = {}, []
    for region in probe.regions:
        statuses = probe.client("config", region).describe_configuration_recorder_status()[
            "ConfigurationRecordersStatus"]
        recording = any(s.get("recording") for s in statuses)
        rows[region] = {"recorders": len(statuses), "recording": recording}
        if not recording:
            problems.append(region)
    return verdict_of(problems, len(rows), "regions", {"regions": rows})


def vpc_flow_logs(probe: Probe) -> Result:
    """Every VPC has a flow log."""
    rows, problems = {}, []
    for region in probe.regions:
        ec2 = probe.client("ec2", region)
        logged = {f["ResourceId"] for f in ec2.describe_flow_logs()["FlowLogs"]}
        for vpc in ec2.describe_vpcs()["Vpcs"]:
            name = f"{region}/{vpc['VpcId']}"
            rows[name] = {"flow_log": vpc["VpcId"] in logged}
            if vpc["VpcId"] not in logged:
                problems.append(name)
    return verdict_of(problems, len(rows), "VPCs", {"vpcs": rows})
