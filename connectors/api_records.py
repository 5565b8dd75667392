"""AWS collection runs and check results as plain records, for the REST API and OSCAL."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from connectors.aws.models import AwsCheckResult, AwsConnection, AwsRun
from isms.api import db


@dataclass(frozen=True)
class AwsRunRecord:
    id: int
    connection: str
    account_id: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    trigger: str
    message: str
    results: Mapping  # verdict -> count


def list_aws_runs(page: int, per_page: int) -> tuple[list[AwsRunRecord], int]:
    """Return one page of AWS collection runs, newest first, with their verdict counts."""
    total = db.session.scalar(select(func.count(AwsRun.id)))
    runs = db.session.scalars(
        select(AwsRun).options(joinedload(AwsRun.connection))
        .order_by(AwsRun.id.desc()).limit(per_page).offset((page - 1) * per_page)).all()
    counts: dict[int, dict[str, int]] = {}
    for run_id, verdict, count in db.session.execute(
            select(AwsCheckResult.run_id, AwsCheckResult.verdict, func.count())
            .where(AwsCheckResult.run_id.in_([r.id for r in runs]))
            .group_by(AwsCheckResult.run_id, AwsCheckResult.verdict)):
        counts.setdefault(run_id, {})[verdict] = count
    return [AwsRunRecord(r.id, r.connection.name, r.connection.account_id, r.started_at,
                         r.finished_at, r.status, r.trigger, r.message, counts.get(r.id, {}))
            for r in runs], total


@dataclass(frozen=True)
class CheckResultRecord:
    run_id: int
    connection: str
    check_id: str
    verdict: str
    reason: str
    at: datetime


def latest_check_results() -> list[CheckResultRecord]:
    """Return every check's latest result on each connection (for assessment results)."""
    latest = (select(func.max(AwsCheckResult.id))
              .group_by(AwsCheckResult.connection_id, AwsCheckResult.check_id))
    rows = db.session.execute(
        select(AwsCheckResult, AwsConnection.name)
        .join(AwsConnection, AwsConnection.id == AwsCheckResult.connection_id)
        .where(AwsCheckResult.id.in_(latest))
        .order_by(AwsConnection.name, AwsCheckResult.check_id)).all()
    return [CheckResultRecord(r.run_id, name, r.check_id, r.verdict, r.reason, r.created_at)
            for r, name in rows]
