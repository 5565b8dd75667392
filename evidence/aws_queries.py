"""Read-side of AWS evidence: failing checks per control, inherited reports, page data."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from evidence.aws_models import AwsCheck, AwsCheckResult, AwsConnection, AwsRun
from evidence.collectors.aws.registry import BY_ID, controls_of
from evidence.models import EvidenceItem, EvidenceVersion
from evidence.status import version_status
from isms.api import db, local_today

FAILING = ("fail", "error")


@dataclass(frozen=True)
class CheckFlag:
    connection_id: int
    connection: str
    check_id: str
    title: str
    verdict: str


@dataclass(frozen=True)
class InheritedReport:
    item_id: int
    title: str
    issuer: str
    report_name: str
    period_from: date | None
    period_to: date | None
    valid_until: date | None
    status: str


def failing_checks(edition: str, control_ids=None) -> dict[str, list[CheckFlag]]:
    """Return the failing or erroring checks of enabled connections per control, one query."""
    wanted = None if control_ids is None else set(control_ids)
    found: dict[str, list[CheckFlag]] = {}
    rows = db.session.execute(
        select(AwsCheck.connection_id, AwsConnection.name, AwsCheck.check_id, AwsCheck.verdict)
        .join(AwsConnection, AwsConnection.id == AwsCheck.connection_id)
        .where(AwsCheck.verdict.in_(FAILING), AwsConnection.is_enabled.is_(True))
        .order_by(AwsConnection.name, AwsCheck.check_id))
    for connection_id, name, check_id, verdict in rows:
        check = BY_ID.get(check_id)
        if check is None:
            continue
        flag = CheckFlag(connection_id, name, check_id, check.title, verdict)
        for control_id in controls_of(check_id, edition):
            if wanted is None or control_id in wanted:
                found.setdefault(control_id, []).append(flag)
    return found


def inherited_reports(provider: str) -> list[InheritedReport]:
    """Return the live third-party reports inherited from a provider, with their status."""
    today = local_today()
    items = db.session.scalars(
        select(EvidenceItem).where(EvidenceItem.inherited_from == provider,
                                   EvidenceItem.deleted_at.is_(None))
        .options(joinedload(EvidenceItem.latest_version)).order_by(EvidenceItem.title))
    reports = []
    for item in items:
        version = item.latest_version
        valid_until = version.valid_until if version else None
        reports.append(InheritedReport(
            item.id, item.title, item.issuer, item.report_name, item.period_from,
            item.period_to, valid_until, version_status(valid_until, today).value))
    return reports


@dataclass(frozen=True)
class CheckRow:
    check_id: str
    title: str
    verdict: str
    reason: str
    evidence_item_id: int | None


def overview() -> list[tuple[AwsConnection, AwsRun | None, list[CheckRow]]]:
    """Each connection with its last run and each check's latest verdict, in three queries."""
    connections = list(db.session.scalars(select(AwsConnection).order_by(AwsConnection.name)))
    latest = select(func.max(AwsRun.id)).group_by(AwsRun.connection_id)
    last_runs = {run.connection_id: run
                 for run in db.session.scalars(select(AwsRun).where(AwsRun.id.in_(latest)))}
    checks: dict[int, list[CheckRow]] = {}
    for state, result in db.session.execute(
            select(AwsCheck, AwsCheckResult)
            .join(AwsCheckResult, AwsCheckResult.id == AwsCheck.last_result_id)
            .order_by(AwsCheck.check_id)):
        title = BY_ID[state.check_id].title if state.check_id in BY_ID else state.check_id
        checks.setdefault(state.connection_id, []).append(CheckRow(
            state.check_id, title, result.verdict, result.reason, state.evidence_item_id))
    return [(c, last_runs.get(c.id), checks.get(c.id, [])) for c in connections]


def check_history(connection_id: int, check_id: str, limit: int = 30):
    """Return the check's latest results with their versions, newest first."""
    return db.session.execute(
        select(AwsCheckResult, EvidenceVersion)
        .outerjoin(EvidenceVersion, EvidenceVersion.id == AwsCheckResult.evidence_version_id)
        .where(AwsCheckResult.connection_id == connection_id,
               AwsCheckResult.check_id == check_id)
        .order_by(AwsCheckResult.id.desc()).limit(limit)).all()
