"""Detection and data checks: GuardDuty, Security Hub, RDS and AWS Backup."""

from botocore.exceptions import ClientError

from connectors.aws.collectors.base import Probe, Result, Verdict, client_error_code, verdict_of

MIN_RETENTION_DAYS = 35


def guardduty_enabled(probe: Probe) -> Result:
    """GuardDuty has an enabled detector in every configured region."""
    rows, problems = {}, []
    for region in probe.regions:
        guardduty = probe.client("guardduty", region)
        ids = guardduty.list_detectors()["DetectorIds"]
        statuses = sorted(guardduty.get_detector(DetectorId=i)["Status"] for i in ids)
        rows[region] = {"detectors": statuses}
        if "ENABLED" not in statuses:
            problems.append(region)
    return verdict_of(problems, len(rows), "regions", {"regions": rows})


def securityhub_enabled(probe: Probe) -> Result:
    """Security Hub is turned on in every configured region."""
    rows, problems = {}, []
    for region in probe.regions:
        try:
            probe.client("securityhub", region).describe_hub()
            enabled = True
        except ClientError as error:
            if client_error_code(error) not in {"InvalidAccessException",
                                                "ResourceNotFoundException"}:
                raise
            enabled = False
        rows[region] = {"enabled": enabled}
        if not enabled:
            problems.append(region)
    return verdict_of(problems, len(rows), "regions", {"regions": rows})


def _databases(probe: Probe):
    for region in probe.regions:
        pages = probe.client("rds", region).get_paginator("describe_db_instances").paginate()
        for db in (d for page in pages for d in page["DBInstances"]):
            yield f"{region}/{db['DBInstanceIdentifier']}", db


def _rds_check(probe: Probe, field: str, good) -> Result:
    rows, problems = {}, []
    for name, db in _databases(probe):
        value = db.get(field)
        rows[name] = {field: value}
        if not good(value):
            problems.append(name)
    return verdict_of(problems, len(rows), "DB instances", {"instances": rows})


def rds_encrypted(probe: Probe) -> Result:
    """Every RDS instance encrypts its storage."""
    return _rds_check(probe, "StorageEncrypted", bool)


def rds_backups(probe: Probe) -> Result:
    """Every RDS instance keeps automated backups for at least 7 days."""
    return _rds_check(probe, "BackupRetentionPeriod", lambda days: (days or 0) >= 7)


def rds_not_public(probe: Probe) -> Result:
    """No RDS instance is reachable from the internet."""
    return _rds_check(probe, "PubliclyAccessible", lambda public: not public)


def rds_multi_az(probe: Probe) -> Result:
    """Every RDS instance runs in more than one availability zone."""
    return _rds_check(probe, "MultiAZ", bool)


def backup_plan(probe: Probe) -> Result:
    """An AWS Backup plan backs up at least daily and keeps backups 35 days or more."""
    rows = {}
    for region in probe.regions:
        backup = probe.client("backup", region)
        for plan in backup.list_backup_plans()["BackupPlansList"]:
            rules = backup.get_backup_plan(BackupPlanId=plan["BackupPlanId"])[
                "BackupPlan"]["Rules"]
            rows[f"{region}/{plan['BackupPlanName']}"] = {"rules": sorted(
                ({"schedule": r.get("ScheduleExpression", ""),
                  "retention_days": r.get("Lifecycle", {}).get("DeleteAfterDays")}
                 for r in rules), key=lambda r: (r["schedule"], r["retention_days"] or 0))}
    good = sorted(name for name, row in rows.items()
                  if any(_daily_and_kept(r) for r in row["rules"]))
    data = {"plans": rows}
    if good:
        return Result(Verdict.PASS, f"Daily backups kept {MIN_RETENTION_DAYS}+ days: "
                                    f"{', '.join(good)}.", data)
    return Result(Verdict.FAIL, f"No backup plan runs daily and keeps backups "
                                f"{MIN_RETENTION_DAYS}+ days ({len(rows)} plans).", data)


def _daily_and_kept(rule: dict) -> bool:
    """cron(min hour day-of-month month day-of-week year) with every day, kept long enough."""
    schedule, days = rule["schedule"], rule["retention_days"]
    fields = schedule[5:-1].split() if schedule.startswith("cron(") else []
    daily = len(fields) == 6 and fields[2] in {"*", "?"} and fields[3] == "*" and fields[4] in {
        "*", "?"}
    return daily and (days is None or days >= MIN_RETENTION_DAYS)
