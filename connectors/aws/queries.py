"""Read-side of AWS evidence: verdicts per control, the overview, run progress, history.

A check of a connection has one state per account; it counts as passing only when every
account passes, and the accounts that do not are named. A paused connection keeps showing its
last verdicts: its evidence does not stop being what it was.
"""

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import bindparam, func, select

from connectors.aws.collectors.registry import BY_ID, controls_of
from connectors.aws.models import (
    AwsCheck,
    AwsCheckResult,
    AwsConnection,
    AwsRun,
    AwsRunAccount,
    AwsRunSlice,
)
from evidence.api import version_details
from isms.api import db

FAILING = ("fail", "error")
# The worst verdict among accounts is the connection's.
RANK = {"error": 0, "fail": 1, "pass": 2, "not_applicable": 3}


@dataclass(frozen=True)
class CheckVerdict:
    connection_id: int
    connection: str
    check_id: str
    title: str
    verdict: str
    reason: str
    checked_at: datetime | None
    accounts: int
    failing_accounts: tuple[str, ...]


def _aggregate(rows) -> list[CheckVerdict]:
    """Fold (connection id, name, account, check, verdict, reason, time) rows per check."""
    grouped: dict[tuple, list] = {}
    for row in rows:
        grouped.setdefault((row[0], row[1], row[3]), []).append(row)
    verdicts = []
    for (connection_id, name, check_id), found in grouped.items():
        worst = min(found, key=lambda r: RANK.get(r[4], 9))
        failing = tuple(sorted(r[2] for r in found if r[4] in FAILING))
        if len(found) == 1:
            reason = worst[5]
        elif failing:
            reason = f"{len(failing)} of {len(found)} accounts {worst[4]}: {worst[5]}"
        else:
            reason = f"All {len(found)} accounts: {worst[4].replace('_', ' ')}."
        check = BY_ID.get(check_id)
        verdicts.append(CheckVerdict(
            connection_id, name, check_id, check.title if check else check_id, worst[4], reason,
            max((r[6] for r in found if r[6] is not None), default=None), len(found), failing))
    return sorted(verdicts, key=lambda v: (v.connection, v.check_id))


def _state_rows(check_ids=None, failing_only=False):
    params = {} if check_ids is None else {"check_ids": list(check_ids)}
    return db.session.execute(_state_statement(check_ids is not None, failing_only),
                              params).all()


@cache
def _state_statement(some: bool, failing_only: bool):
    """Each account's verdict on each check (only the bound `check_ids` when `some`), built
    once per shape: a control's page and the dashboard read it on every view."""
    query = (select(AwsCheck.connection_id, AwsConnection.name, AwsCheck.account_id,
                    AwsCheck.check_id, AwsCheck.verdict, AwsCheckResult.reason,
                    AwsCheckResult.created_at)
             .join(AwsConnection, AwsConnection.id == AwsCheck.connection_id)
             .outerjoin(AwsCheckResult, AwsCheckResult.id == AwsCheck.last_result_id))
    if some:
        query = query.where(AwsCheck.check_id.in_(bindparam("check_ids", expanding=True)))
    if failing_only:
        # A connection's check fails when any account fails: keep only those checks.
        failing = (select(AwsCheck.connection_id, AwsCheck.check_id)
                   .where(AwsCheck.verdict.in_(FAILING)).distinct().subquery())
        query = query.join(failing, (failing.c.connection_id == AwsCheck.connection_id)
                           & (failing.c.check_id == AwsCheck.check_id))
    return query


def verdicts_by_control(edition: str, control_ids=None,
                        failing_only: bool = False) -> dict[str, list[CheckVerdict]]:
    """Return each control's checks with their verdict over all accounts, in one query."""
    wanted = None if control_ids is None else set(control_ids)
    check_ids = None
    if wanted is not None:
        check_ids = [c for c in BY_ID if wanted & set(controls_of(c, edition))]
        if not check_ids:
            return {}
    found: dict[str, list[CheckVerdict]] = {}
    for verdict in _aggregate(_state_rows(check_ids, failing_only)):
        if failing_only and verdict.verdict not in FAILING:
            continue
        for control_id in controls_of(verdict.check_id, edition):
            if wanted is None or control_id in wanted:
                found.setdefault(control_id, []).append(verdict)
    return found


@dataclass(frozen=True)
class Tile:
    passing: int
    failing: int
    erroring: int
    accounts: int
    connections: int
    last_run_at: datetime | None
    last_run_status: str | None


def tile() -> Tile:
    """Checks passing, failing and erroring over every enabled connection; the last run."""
    verdicts = _aggregate(_state_rows())
    count = {v: sum(1 for x in verdicts if x.verdict == v) for v in ("pass", "fail", "error")}
    # The counts and the last run in one statement: on PostgreSQL each is a round trip.
    latest = select(AwsRun.id).order_by(AwsRun.id.desc()).limit(1).scalar_subquery()
    accounts, connections, started_at, status = db.session.execute(select(
        select(func.count()).select_from(
            select(AwsCheck.connection_id, AwsCheck.account_id).distinct().subquery())
        .scalar_subquery(),
        select(func.count(AwsConnection.id)).scalar_subquery(),
        select(AwsRun.started_at).where(AwsRun.id == latest).scalar_subquery(),
        select(AwsRun.status).where(AwsRun.id == latest).scalar_subquery())).one()
    return Tile(count["pass"], count["fail"], count["error"], accounts or 0, connections or 0,
                started_at, status)


@dataclass(frozen=True)
class Progress:
    accounts_done: int
    accounts: int
    checks_done: int
    checks: int


def progress(run_id: int) -> Progress:
    """Say how far a run is: accounts merged and checks read, of their totals."""
    accounts_done, accounts = db.session.execute(
        select(func.count().filter(AwsRunAccount.status.not_in(("collecting", "merging"))),
               func.count()).where(AwsRunAccount.run_id == run_id)).one()
    done, total = db.session.execute(
        select(func.coalesce(func.sum(AwsRunSlice.checks_done), 0),
               func.coalesce(func.sum(AwsRunSlice.checks_total), 0))
        .where(AwsRunSlice.run_id == run_id)).one()
    return Progress(accounts_done, accounts, int(done), int(total))


@dataclass(frozen=True)
class CheckRow:
    check_id: str
    title: str
    verdict: str
    reason: str
    failing_accounts: tuple[str, ...]
    accounts: int


def overview(run_limit: int = 5):
    """Each connection with its recent runs and each check's verdict, in three queries."""
    connections = list(db.session.scalars(select(AwsConnection).order_by(AwsConnection.name)))
    ranked = select(AwsRun.id, func.row_number().over(
        partition_by=AwsRun.connection_id, order_by=AwsRun.id.desc()).label("n")).subquery()
    runs: dict[int, list[AwsRun]] = {}
    for run in db.session.scalars(select(AwsRun).join(ranked, ranked.c.id == AwsRun.id)
                                  .where(ranked.c.n <= run_limit).order_by(AwsRun.id.desc())):
        runs.setdefault(run.connection_id, []).append(run)
    checks: dict[int, list[CheckRow]] = {}
    for verdict in _aggregate(_state_rows()):
        checks.setdefault(verdict.connection_id, []).append(CheckRow(
            verdict.check_id, verdict.title, verdict.verdict, verdict.reason,
            verdict.failing_accounts, verdict.accounts))
    return [(c, runs.get(c.id, []), checks.get(c.id, [])) for c in connections]


def run_accounts(run_id: int) -> list[AwsRunAccount]:
    """The accounts of a run with their outcome, by account id."""
    return list(db.session.scalars(select(AwsRunAccount).where(AwsRunAccount.run_id == run_id)
                                   .order_by(AwsRunAccount.account_id)))


def check_history(connection_id: int, check_id: str, limit: int = 30):
    """Return the check's latest results with their versions, newest first."""
    results = list(db.session.scalars(
        select(AwsCheckResult).where(AwsCheckResult.connection_id == connection_id,
                                     AwsCheckResult.check_id == check_id)
        .order_by(AwsCheckResult.id.desc()).limit(limit)))
    versions = version_details(r.evidence_version_id for r in results)
    return [(r, versions.get(r.evidence_version_id)) for r in results]
