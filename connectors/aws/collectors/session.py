"""Open a read-only session on one account and run every check, account first."""

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

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


# One data loader per process, shared by every botocore session: it keeps the service models
# and endpoint data parsed, so a job's sessions and clients cost milliseconds instead of reading
# the models' JSON again for each new session.
_LOCK = threading.Lock()
_LOADER: list = []
# Assumed-role credentials per (profile, role chain, endpoint), reused by the process's later
# jobs (the account's other regions) until ten minutes before they expire.
_ASSUMED: dict[tuple, dict] = {}
REUSE_MARGIN = timedelta(minutes=10)


def _botocore_session(profile: str):
    """A new botocore session (credentials resolved afresh) on the process's shared loader."""
    import botocore.loaders  # imported on use: app start-up stays light
    import botocore.session

    with _LOCK:
        if not _LOADER:
            _LOADER.append(botocore.loaders.create_loader())
        session = botocore.session.Session(profile=profile or None)
        session.register_component("data_loader", _LOADER[0])
    return session


class Session:
    """One job's access: a botocore session, the assumed role's keys if any, a default region."""

    def __init__(self, profile: str, region: str, credentials: dict | None = None):
        self.base, self.region, self.credentials = _botocore_session(profile), region, credentials

    def client(self, service: str, region_name: str | None = None,
               endpoint_url: str | None = None, config=None):
        keys = {}
        if self.credentials:
            keys = {"aws_access_key_id": self.credentials["AccessKeyId"],
                    "aws_secret_access_key": self.credentials["SecretAccessKey"],
                    "aws_session_token": self.credentials["SessionToken"]}
        with _LOCK:  # a botocore session is not thread safe; its clients are
            return self.base.create_client(service, region_name=region_name or self.region,
                                           endpoint_url=endpoint_url, config=config, **keys)


def open_session(target: Target) -> Session:
    """Return a session from the default chain or a profile, through AssumeRole if asked."""
    session = Session(target.profile, target.regions[0])
    chain: tuple = (target.profile, target.endpoint_url)
    for role_arn, external_id in ((target.role_arn, target.external_id),
                                  (target.member_role_arn, target.member_external_id)):
        if role_arn:
            chain += (role_arn, external_id)
            session = Session(target.profile, target.regions[0],
                              _assumed(session, chain, target))
    return session


def _assumed(session: Session, chain: tuple, target: Target) -> dict:
    with _LOCK:
        found = _ASSUMED.get(chain)
    if found and found["Expiration"] - REUSE_MARGIN > datetime.now(UTC):
        return found
    credentials = assume(session, chain[-2], chain[-1], target)
    with _LOCK:
        _ASSUMED[chain] = credentials
    return credentials


def assume(session: Session, role_arn: str, external_id: str, target: Target) -> dict:
    """Return the role's temporary credentials, assumed from the given session."""
    args = {"RoleArn": role_arn, "RoleSessionName": SESSION_NAME}
    if external_id:
        args["ExternalId"] = external_id
    sts = session.client("sts", region_name=target.regions[0],
                         endpoint_url=target.endpoint_url or None, config=retry_config())
    return sts.assume_role(**args)["Credentials"]


def forget_credentials() -> None:
    """Drop the assumed-role credentials kept by this process."""
    with _LOCK:
        _ASSUMED.clear()


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
