"""AWS connections and collection runs: each check's snapshot becomes an evidence version."""

import io
import logging
import re
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import select

from evidence.aws_models import AwsCheck, AwsCheckResult, AwsConnection, AwsRun
from evidence.collectors.aws.base import Verdict, canonical_json
from evidence.collectors.aws.registry import CHECKS
from evidence.collectors.aws.session import AccountError, Target, open_probe, run_all
from evidence.models import EvidenceItem, EvidenceKind
from evidence.services import Content, EvidenceError, add_version, create_item
from isms.api import STAFF, User, db, record_event, utcnow

log = logging.getLogger("isms.aws")
ACTOR = "system:aws-collect"
ACCOUNT = re.compile(r"^\d{12}$")
REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
PROFILE = re.compile(r"^[\w.+=@-]{1,128}$")
ROLE_ARN = re.compile(r"^arn:aws[\w-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
EXTERNAL_ID = re.compile(r"^[\w+=,.@:/-]{2,1224}$")
FIELDS = ("name", "account_id", "regions", "profile", "role_arn", "external_id", "owner_id",
          "is_enabled")


@dataclass(frozen=True)
class ConnectionValues:
    name: str
    account_id: str
    regions: str
    owner_id: int
    profile: str = ""
    role_arn: str = ""
    external_id: str = ""
    is_enabled: bool = True


def _clean(values: ConnectionValues) -> dict:
    """Check each field; return the columns, or raise naming the field at fault."""
    name = values.name.strip()
    if not name or len(name) > 64:
        raise EvidenceError("Give the connection a name of up to 64 characters.", "name")
    if not ACCOUNT.match(values.account_id.strip()):
        raise EvidenceError("An AWS account id is 12 digits.", "account_id")
    regions = list(dict.fromkeys(r.strip() for r in re.split(r"[\s,]+", values.regions) if r))
    if not regions or not all(REGION.match(r) for r in regions):
        raise EvidenceError("Give region names such as eu-west-1, separated by commas.",
                            "regions")
    for field, pattern, label in (("profile", PROFILE, "profile name"),
                                  ("role_arn", ROLE_ARN, "IAM role ARN"),
                                  ("external_id", EXTERNAL_ID, "external id")):
        value = getattr(values, field).strip()
        if value and not pattern.match(value):
            raise EvidenceError(f"That is not a valid {label}.", field)
    if values.external_id.strip() and not values.role_arn.strip():
        raise EvidenceError("An external id is only used with a role to assume.", "external_id")
    owner = (db.session.get(User, values.owner_id)
             if isinstance(values.owner_id, int) and 0 < values.owner_id < 2 ** 31 else None)
    if owner is None or not owner.is_enabled or owner.role not in STAFF:
        raise EvidenceError("Choose an existing staff member to own the evidence.", "owner_id")
    return {"name": name, "account_id": values.account_id.strip(),
            "regions": ",".join(regions), "profile": values.profile.strip(),
            "role_arn": values.role_arn.strip(), "external_id": values.external_id.strip(),
            "owner_id": values.owner_id, "is_enabled": values.is_enabled}


def _name_taken(name: str, but: int | None = None) -> bool:
    query = select(AwsConnection.id).where(AwsConnection.name == name)
    if but is not None:
        query = query.where(AwsConnection.id != but)
    return db.session.scalar(query) is not None


def save_connection(values: ConnectionValues, connection: AwsConnection | None = None, *,
                    audit_actor: str) -> AwsConnection:
    """Create or change a connection (the caller commits)."""
    columns = _clean(values)
    if _name_taken(columns["name"], connection.id if connection else None):
        raise EvidenceError("Another connection has that name.", "name")
    before = {f: getattr(connection, f) for f in FIELDS} if connection else None
    if connection is None:
        connection = AwsConnection(**columns)
        db.session.add(connection)
    else:
        for key, value in columns.items():
            setattr(connection, key, value)
    db.session.flush()
    record_event("aws.connection_save", "aws_connection", connection.id, actor=audit_actor,
                 before=before, after=columns)
    return connection


def target_of(connection: AwsConnection) -> Target:
    return Target(connection.account_id, tuple(connection.region_list), connection.profile,
                  connection.role_arn, connection.external_id,
                  current_app.config["ISMS_AWS_ENDPOINT_URL"])


def collect(connection: AwsConnection, today: date, trigger: str = "cli", *,
            audit_actor: str) -> AwsRun:
    """Run every check on one connection and store what it found (the caller commits)."""
    run = AwsRun(connection_id=connection.id, trigger=trigger, started_at=utcnow())
    db.session.add(run)
    db.session.flush()
    try:
        probe = open_probe(target_of(connection))
    except AccountError as error:
        run.status, run.message, run.finished_at = "error", str(error), utcnow()
        log.warning("AWS connection %s: %s", connection.name, error)
        record_event("aws.run", "aws_connection", connection.id, actor=audit_actor,
                     after={"run": run.id, "status": run.status})
        return run
    states = {s.check_id: s for s in db.session.scalars(
        select(AwsCheck).where(AwsCheck.connection_id == connection.id))}
    errors = 0
    for check, result in run_all(probe):
        payload = canonical_json(check, connection.account_id, connection.region_list, result)
        _record(run, connection, check, result, payload, states.get(check.id), today,
                audit_actor)
        errors += result.verdict is Verdict.ERROR
    run.status = "partial" if errors else "ok"
    run.message = f"{len(CHECKS) - errors} checks read, {errors} errors."
    run.finished_at = utcnow()
    record_event("aws.run", "aws_connection", connection.id, actor=audit_actor,
                 after={"run": run.id, "status": run.status, "errors": errors})
    return run


def _record(run, connection, check, result, payload: bytes, state: AwsCheck | None,
            today: date, audit_actor: str) -> None:
    """Store one check's outcome: a new evidence version unless it could not be read."""
    version_id, item_id = None, state.evidence_item_id if state else None
    if result.verdict is not Verdict.ERROR:
        item = db.session.get(EvidenceItem, item_id) if item_id else None
        version_id, item_id = _store_snapshot(item, connection, check, payload, today,
                                              audit_actor)
    row = AwsCheckResult(run_id=run.id, connection_id=connection.id, check_id=check.id,
                         verdict=result.verdict.value, reason=result.reason,
                         evidence_version_id=version_id)
    db.session.add(row)
    db.session.flush()
    if state is None:
        state = AwsCheck(connection_id=connection.id, check_id=check.id)
        db.session.add(state)
    state.evidence_item_id, state.last_result_id, state.verdict = item_id, row.id, row.verdict


def _store_snapshot(item, connection, check, payload: bytes, today: date,
                    audit_actor: str) -> tuple[int, int]:
    """Add the snapshot as the next version of the check's item (created on first use)."""
    valid_until = today + timedelta(days=current_app.config["ISMS_AWS_VALID_DAYS"])
    content = Content(stream=io.BytesIO(payload), file_name=f"{check.id}.json")
    if item is None or item.is_deleted:
        refs = [("2013", c) for c in check.controls_2013] + [
            ("2022", c) for c in check.controls_2022]
        item = create_item(
            title=f"AWS {connection.name}: {check.title}", kind=EvidenceKind.FILE,
            owner_id=connection.owner_id, content=content, collected_on=today,
            valid_until=valid_until, today=today, actor_id=None, refs=refs,
            description=f"Collected automatically from AWS account {connection.account_id}.",
            tags=("aws", "automated"), audit_actor=audit_actor)
    else:
        add_version(item, content, collected_on=today, valid_until=valid_until, today=today,
                    actor_id=None, audit_actor=audit_actor)
    return item.latest_version_id, item.id


def list_connections(enabled_only: bool = False) -> list[AwsConnection]:
    query = select(AwsConnection).order_by(AwsConnection.name)
    if enabled_only:
        query = query.where(AwsConnection.is_enabled.is_(True))
    return list(db.session.scalars(query))


def get_connection_by_name(name: str) -> AwsConnection | None:
    return db.session.scalars(select(AwsConnection).filter_by(name=name)).one_or_none()
