"""IAM checks: password policy, MFA, direct user policies, admin policies, root, key age."""

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

from botocore.exceptions import ClientError

from connectors.aws.collectors.base import Probe, Result, Verdict, client_error_code, verdict_of

MIN_PASSWORD_LENGTH = 14
MAX_KEY_AGE = timedelta(days=90)


def _users(iam) -> list[str]:
    return sorted(u["UserName"] for page in iam.get_paginator("list_users").paginate()
                  for u in page["Users"])


def password_policy(probe: Probe) -> Result:
    """The account password policy asks for long, mixed passwords that are not reused."""
    try:
        policy = probe.client("iam").get_account_password_policy()["PasswordPolicy"]
    except ClientError as error:
        if client_error_code(error) != "NoSuchEntity":
            raise
        return Result(Verdict.FAIL, "No account password policy is set.", {"policy": None})
    keys = ("MinimumPasswordLength", "RequireSymbols", "RequireNumbers",
            "RequireUppercaseCharacters", "RequireLowercaseCharacters",
            "PasswordReusePrevention", "MaxPasswordAge")
    data = {"policy": {k: policy.get(k) for k in keys}}
    problems = []
    if policy.get("MinimumPasswordLength", 0) < MIN_PASSWORD_LENGTH:
        problems.append(f"minimum length below {MIN_PASSWORD_LENGTH}")
    for key in keys[1:5]:
        if not policy.get(key):
            problems.append(f"{key} is off")
    if not policy.get("PasswordReusePrevention"):
        problems.append("reuse is not prevented")
    if problems:
        return Result(Verdict.FAIL, "Password policy too weak: " + ", ".join(problems) + ".",
                      data)
    return Result(Verdict.PASS, "Password policy meets the baseline.", data)


def users_mfa(probe: Probe) -> Result:
    """Every IAM user who can sign in to the console has an MFA device."""
    iam = probe.client("iam")
    rows, problems = {}, []
    for name in _users(iam):
        try:
            iam.get_login_profile(UserName=name)
        except ClientError as error:
            if client_error_code(error) != "NoSuchEntity":
                raise
            rows[name] = {"console": False}
            continue
        has_mfa = bool(iam.list_mfa_devices(UserName=name)["MFADevices"])
        rows[name] = {"console": True, "mfa": has_mfa}
        if not has_mfa:
            problems.append(name)
    console_users = sum(1 for row in rows.values() if row["console"])
    return verdict_of(problems, console_users, "console users", {"users": rows})


def users_no_direct_policies(probe: Probe) -> Result:
    """IAM users get permissions through groups or roles, not policies attached to them."""
    iam = probe.client("iam")
    rows, problems = {}, []
    for name in _users(iam):
        attached = sorted(p["PolicyName"] for p in
                          iam.list_attached_user_policies(UserName=name)["AttachedPolicies"])
        inline = sorted(iam.list_user_policies(UserName=name)["PolicyNames"])
        rows[name] = {"attached": attached, "inline": inline}
        if attached or inline:
            problems.append(name)
    return verdict_of(problems, len(rows), "users", {"users": rows})


def _statements(document) -> list[dict]:
    if isinstance(document, str):
        document = json.loads(unquote(document))
    statements = document.get("Statement", [])
    return statements if isinstance(statements, list) else [statements]


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _grants_admin(document) -> bool:
    return any(s.get("Effect") == "Allow" and "*" in _as_list(s.get("Action", []))
               and "*" in _as_list(s.get("Resource", [])) for s in _statements(document))


def no_admin_policies(probe: Probe) -> Result:
    """No customer-managed policy allows every action on every resource."""
    iam = probe.client("iam")
    rows, problems = {}, []
    for page in iam.get_paginator("list_policies").paginate(Scope="Local"):
        for policy in page["Policies"]:
            version = iam.get_policy_version(PolicyArn=policy["Arn"],
                                             VersionId=policy["DefaultVersionId"])
            admin = _grants_admin(version["PolicyVersion"]["Document"])
            rows[policy["PolicyName"]] = {"full_admin": admin}
            if admin:
                problems.append(policy["PolicyName"])
    return verdict_of(problems, len(rows), "customer-managed policies", {"policies": rows})


def _summary(probe: Probe) -> dict:
    return probe.client("iam").get_account_summary()["SummaryMap"]


def root_mfa(probe: Probe) -> Result:
    """The root user has MFA turned on."""
    enabled = bool(_summary(probe).get("AccountMFAEnabled"))
    data = {"root_mfa": enabled}
    if enabled:
        return Result(Verdict.PASS, "The root user has MFA.", data)
    return Result(Verdict.FAIL, "The root user has no MFA.", data)


def root_no_access_keys(probe: Probe) -> Result:
    """The root user has no access keys."""
    present = bool(_summary(probe).get("AccountAccessKeysPresent"))
    data = {"root_access_keys": present}
    if present:
        return Result(Verdict.FAIL, "The root user has access keys.", data)
    return Result(Verdict.PASS, "The root user has no access keys.", data)


def access_keys_rotated(probe: Probe, now: datetime | None = None) -> Result:
    """Active access keys are younger than 90 days (key ids are not recorded)."""
    iam, now = probe.client("iam"), now or datetime.now(UTC)
    rows, problems, checked = {}, [], 0
    for name in _users(iam):
        keys = [k for k in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]
                if k["Status"] == "Active"]
        stale = sum(1 for k in keys if now - k["CreateDate"] > MAX_KEY_AGE)
        if keys:
            rows[name] = {"active_keys": len(keys), "older_than_90_days": stale}
            checked += 1
        if stale:
            problems.append(name)
    return verdict_of(problems, checked, "users with active keys", {"users": rows})
