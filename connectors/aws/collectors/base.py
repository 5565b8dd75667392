"""What every AWS check shares: the probe it reads through, its result, canonical JSON."""

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from botocore.exceptions import BotoCoreError, ClientError

log = logging.getLogger("isms.aws")


def retry_config():
    """Throttling and transient errors are retried by botocore with exponential backoff."""
    from botocore.config import Config  # imported on use: app start-up stays light

    return Config(retries={"max_attempts": 6, "mode": "standard"}, connect_timeout=5,
                  read_timeout=20)


class Verdict(StrEnum):
    PASS = "pass"  # noqa: S105 (a verdict, not a password)
    FAIL = "fail"
    NOT_APPLICABLE = "not_applicable"
    ERROR = "error"


@dataclass(frozen=True)
class Result:
    verdict: Verdict
    reason: str
    data: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Check:
    """One check: its id, what it proves, the controls it serves and the function that runs it."""

    id: str
    title: str
    controls_2013: tuple[str, ...]
    controls_2022: tuple[str, ...]
    run: Callable[["Probe"], Result]


class Probe:
    """Read-only access to one account: clients per service and region, with retries."""

    def __init__(self, session, regions: list[str], endpoint_url: str | None = None):
        self.session, self.regions, self.endpoint_url = session, regions, endpoint_url
        self._clients: dict = {}

    def client(self, service: str, region: str | None = None):
        key = (service, region or self.regions[0])
        if key not in self._clients:
            self._clients[key] = self.session.client(
                service, region_name=key[1], endpoint_url=self.endpoint_url or None,
                config=retry_config())
        return self._clients[key]

    def in_regions(self, regions: list[str]) -> "Probe":
        """The same access narrowed to some regions, sharing the clients already made."""
        narrowed = Probe(self.session, regions, self.endpoint_url)
        narrowed._clients = self._clients
        return narrowed

    def per_region(self, read: Callable[[str], object]) -> dict:
        """Return {region: read(region)} for every configured region."""
        return {region: read(region) for region in self.regions}


def verdict_of(problems: list[str], checked: int, what: str, data: dict) -> Result:
    """Fail listing the problems, pass when none, not applicable when nothing was checked."""
    if checked == 0:
        return Result(Verdict.NOT_APPLICABLE, f"No {what} to check.", data)
    if problems:
        shown = ", ".join(problems[:10]) + (" ..." if len(problems) > 10 else "")
        return Result(Verdict.FAIL, f"{len(problems)} of {checked} {what} fail: {shown}.", data)
    return Result(Verdict.PASS, f"All {checked} {what} pass.", data)


def error_code(error: Exception) -> str:
    """Say what went wrong without the request id or anything else that varies per call."""
    if isinstance(error, ClientError):
        detail = error.response.get("Error", {})
        code, message = detail.get("Code", "Unknown"), detail.get("Message", "") or ""
        if message.lstrip().startswith("<"):  # an XML body some services return as is
            code = _tag(message, "Code") or code
            message = _tag(message, "Message")
        return f"{code}: {message[:300]}".strip().rstrip(":")
    if isinstance(error, BotoCoreError):
        return type(error).__name__
    return f"{type(error).__name__}: {error}"


def _tag(xml: str, name: str) -> str:
    found = re.search(rf"<{name}>([^<]*)</{name}>", xml)
    return found.group(1) if found else ""


def run_check(check: Check, probe: Probe) -> Result:
    """Run one check; any failure to read becomes an error result, never a pass."""
    try:
        result = check.run(probe)
    except (BotoCoreError, ClientError) as error:
        return Result(Verdict.ERROR, f"Could not read: {error_code(error)}")
    except Exception as error:  # a broken collector must not end the run
        log.exception("AWS check %s failed", check.id)
        return Result(Verdict.ERROR, f"The collector failed: {type(error).__name__}")
    return result


def canonical_json(check: Check, account_id: str, regions: list[str], result: Result) -> bytes:
    """The snapshot as stable bytes: sorted keys, no timestamps, so an unchanged account repeats."""
    document = {"check": check.id, "title": check.title, "account": account_id,
                "regions": sorted(regions), "verdict": result.verdict.value,
                "reason": result.reason, "data": result.data}
    return (json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()


def client_error_code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")
