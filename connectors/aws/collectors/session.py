"""Open a read-only session on one account and run every check, account first."""

from collections.abc import Iterator
from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError

from connectors.aws.collectors.base import (
    Check,
    Probe,
    Result,
    error_code,
    retry_config,
    run_check,
)
from connectors.aws.collectors.registry import CHECKS

SESSION_NAME = "isms-evidence-collector"


@dataclass(frozen=True)
class Target:
    """Where and how to read: never a secret, only names the credential chain resolves."""

    account_id: str
    regions: tuple[str, ...]
    profile: str = ""
    role_arn: str = ""
    external_id: str = ""
    endpoint_url: str = ""
    # A second role assumed from the first session (an organization's member account).
    member_role_arn: str = ""
    member_external_id: str = ""


class AccountError(RuntimeError):
    """The credentials do not reach the configured account; no check was run."""


def open_session(target: Target):
    """Return a session from the default chain or a profile, through AssumeRole if asked."""
    import boto3  # imported on use: app start-up stays light

    session = boto3.Session(profile_name=target.profile or None, region_name=target.regions[0])
    for role_arn, external_id in ((target.role_arn, target.external_id),
                                  (target.member_role_arn, target.member_external_id)):
        if role_arn:
            session = assume(session, role_arn, external_id, target)
    return session


def assume(session, role_arn: str, external_id: str, target: Target):
    """Return a session on the role, assumed from the given session."""
    import boto3

    args = {"RoleArn": role_arn, "RoleSessionName": SESSION_NAME}
    if external_id:
        args["ExternalId"] = external_id
    sts = session.client("sts", endpoint_url=target.endpoint_url or None, config=retry_config())
    credentials = sts.assume_role(**args)["Credentials"]
    return boto3.Session(aws_access_key_id=credentials["AccessKeyId"],
                         aws_secret_access_key=credentials["SecretAccessKey"],
                         aws_session_token=credentials["SessionToken"],
                         region_name=target.regions[0])


def open_probe(target: Target) -> Probe:
    """Open the session and confirm the caller's account is the configured one."""
    try:
        probe = Probe(open_session(target), list(target.regions), target.endpoint_url)
        account = probe.client("sts").get_caller_identity()["Account"]
    except (BotoCoreError, ClientError) as error:
        raise AccountError(f"Could not sign in: {error_code(error)}") from error
    if account != target.account_id:
        raise AccountError(f"The credentials reach account {account}, "
                           f"not the configured {target.account_id}.")
    return probe


def run_all(probe: Probe, checks: tuple[Check, ...] = CHECKS) -> Iterator[tuple[Check, Result]]:
    """Yield each check with its result; one failing check never stops the others."""
    for check in checks:
        yield check, run_check(check, probe)
