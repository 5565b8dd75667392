"""Collection runs: plan the accounts x regions, collect each as a job, merge, finish.

`start_run` writes the run with one slice per account and region; each slice is a job
(`collect_slice`) that any worker may take, safe to run twice: a slice already done is not read
again. The job that completes an account's last slice merges its regions into one verdict and
one evidence version per check; the job that completes the last account closes the run. Both
steps claim their row with a conditional UPDATE, so two workers never do them twice.
"""

import json
import logging
import time
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import exists, func, select, update

from connectors.aws.collectors.base import Probe, Result, Verdict, canonical_json, run_check
from connectors.aws.collectors.hub_findings import read_failed_findings
from connectors.aws.collectors.merge import combine
from connectors.aws.collectors.organizations import list_members
from connectors.aws.collectors.registry import ANY_REGION, CHECKS, REGIONAL, checks_for
from connectors.aws.collectors.session import AccountError, open_probe
from connectors.aws.findings import (
    COLLECTED,
    group_asff,
    groups_to_json,
    merge_json_groups,
    store_groups,
)
from connectors.aws.models import (
    AwsCheck,
    AwsCheckResult,
    AwsConnection,
    AwsRun,
    AwsRunAccount,
    AwsRunSlice,
)
from connectors.aws.services import target_of
from evidence.api import store_file_evidence
from isms.api import db, enqueue, local_today, pause_in_job, record_event, utcnow

log = logging.getLogger("isms.aws")
ACTOR = "system:aws-collect"
TASK = "aws.collect_slice"
ACCOUNT_ERROR = "_account"
HUB = "_securityhub"  # the slice's Security Hub findings, beside its checks' results


def start_run(connection: AwsConnection, trigger: str, actor: str = ACTOR) -> AwsRun:
    """Write a run with a slice per account and region (the caller commits, then queues)."""
    run = AwsRun(connection_id=connection.id, trigger=trigger, actor=actor, started_at=utcnow())
    db.session.add(run)
    db.session.flush()
    try:
        members = _accounts(connection)
    except AccountError as error:
        run.status, run.message, run.finished_at = "error", str(error), utcnow()
        log.warning("AWS connection %s: %s", connection.name, error)
        record_event("aws.run", "aws_connection", connection.id, actor=actor,
                     after={"run": run.id, "status": run.status})
        return run
    for account_id, name in members:
        account = AwsRunAccount(run_id=run.id, account_id=account_id, account_name=name)
        db.session.add(account)
        db.session.flush()
        for index, region in enumerate(connection.region_list):
            db.session.add(AwsRunSlice(
                run_id=run.id, run_account_id=account.id, region=region,
                is_primary=index == 0, checks_total=len(checks_for(index == 0))))
    db.session.flush()
    record_event("aws.run_start", "aws_connection", connection.id, actor=actor,
                 after={"run": run.id, "trigger": trigger, "accounts": len(members)})
    return run


def _accounts(connection: AwsConnection) -> list[tuple[str, str]]:
    if not connection.is_organization:
        return [(connection.account_id, "")]
    members = list_members(target_of(connection),
                           [i for i in connection.include_ids.split(",") if i],
                           [i for i in connection.exclude_ids.split(",") if i])
    return [(m.account_id, m.name) for m in members]


def queue_run(run_id: int) -> int:
    """Queue the run's slices not yet done (after the commit); return how many."""
    ids = list(db.session.scalars(select(AwsRunSlice.id).where(
        AwsRunSlice.run_id == run_id, AwsRunSlice.status != "done").order_by(AwsRunSlice.id)))
    app = current_app._get_current_object()
    for slice_id in ids:
        enqueue(app, TASK, lock=f"aws-slice-{slice_id}", slice_id=slice_id)
    return len(ids)


def collect(connection: AwsConnection, today: date | None = None,
            trigger: str = "cli", actor: str = ACTOR) -> AwsRun:
    """Run a whole collection here and now, slice after slice (commits as it goes)."""
    run = start_run(connection, trigger, actor)
    db.session.commit()
    slices = list(db.session.scalars(select(AwsRunSlice.id).where(
        AwsRunSlice.run_id == run.id).order_by(AwsRunSlice.id)))
    for slice_id in slices:
        collect_slice(slice_id, today)
    db.session.refresh(run)
    return run


def collect_slice(slice_id: int, today: date | None = None) -> None:
    """The job: read one account in one region, then merge and close what it completes."""
    piece = db.session.get(AwsRunSlice, slice_id)
    if piece is None:
        return
    if piece.status != "done":
        _read_slice(piece)
    complete_slice(slice_id, today or local_today())


def _read_slice(piece: AwsRunSlice) -> None:
    piece.status, piece.attempts, piece.started_at = "running", piece.attempts + 1, utcnow()
    piece.checks_done = 0
    db.session.commit()
    account = db.session.get(AwsRunAccount, piece.run_account_id)
    run = db.session.get(AwsRun, piece.run_id)
    connection = db.session.get(AwsConnection, run.connection_id)
    target = target_of(connection, account.account_id)
    results: dict[str, dict] = {}
    try:
        whole = open_probe(target)
    except AccountError as error:
        results[ACCOUNT_ERROR] = {"reason": str(error)}
    else:
        here = whole.in_regions([piece.region])
        deadline = time.monotonic() + current_app.config["ISMS_JOB_TIME_LIMIT"]
        for check in checks_for(piece.is_primary):
            if time.monotonic() > deadline:
                result = Result(Verdict.ERROR, "Not read: the job's time limit was reached.")
            else:
                result = run_check(check, here if check.id in REGIONAL else whole)
            results[check.id] = {"verdict": result.verdict.value, "reason": result.reason,
                                 "data": result.data}
            piece.checks_done += 1
            db.session.commit()
            pause_in_job(TASK)  # test only: a worker may be killed here, mid-job
        results[HUB] = _read_hub(here, piece.region, account.account_id, deadline)
    save_slice(piece, results)


def _read_hub(probe: Probe, region: str, account_id: str, deadline: float) -> dict:
    """Read the region's active, failed Security Hub findings, grouped per check and account."""
    if time.monotonic() > deadline:
        return {"status": "error", "detail": "not read: the job's time limit was reached",
                "groups": []}
    found = read_failed_findings(probe, region, account_id)
    return {"status": found.status, "detail": found.detail,
            "groups": groups_to_json(group_asff(found.findings))}


def save_slice(piece: AwsRunSlice, results: dict[str, dict]) -> None:
    """Keep a slice's results ({check id: verdict, reason, data}) and mark it done."""
    piece.results = json.dumps(results, sort_keys=True, default=str)
    piece.checks_done = sum(key not in (ACCOUNT_ERROR, HUB) for key in results)
    piece.status, piece.finished_at = "done", utcnow()
    db.session.commit()


def complete_slice(slice_id: int, today: date) -> None:
    """Merge the slice's account and close its run when they are complete."""
    piece = db.session.get(AwsRunSlice, slice_id)
    _merge_account(piece.run_account_id, today)
    _finish_run(piece.run_id)


def _merge_account(run_account_id: int, today: date) -> None:
    """Store the account's verdicts once all its regions are in (one job wins the claim)."""
    pending = exists().where(AwsRunSlice.run_account_id == run_account_id,
                             AwsRunSlice.status != "done")
    claimed = db.session.execute(
        update(AwsRunAccount).where(AwsRunAccount.id == run_account_id,
                                    AwsRunAccount.status == "collecting", ~pending)
        .values(status="merging").execution_options(synchronize_session=False)).rowcount
    if not claimed:
        db.session.rollback()
        return
    account = db.session.get(AwsRunAccount, run_account_id)
    db.session.refresh(account)
    run = db.session.get(AwsRun, account.run_id)
    connection = db.session.get(AwsConnection, run.connection_id)
    slices = list(db.session.scalars(select(AwsRunSlice).where(
        AwsRunSlice.run_account_id == run_account_id).order_by(AwsRunSlice.id)))
    per_check: dict[str, dict[str, Result]] = {}
    hub: dict[str, dict] = {}
    failure = ""
    for piece in slices:
        found = json.loads(piece.results or "{}")
        if ACCOUNT_ERROR in found:
            failure = found[ACCOUNT_ERROR]["reason"]
        if HUB in found:
            hub[piece.region] = found[HUB]
        for check_id, row in found.items():
            if check_id not in (ACCOUNT_ERROR, HUB):
                per_check.setdefault(check_id, {})[piece.region] = Result(
                    Verdict(row["verdict"]), row["reason"], row["data"])
    if failure:
        account.status, account.message = "error", failure
    else:
        store_results(run, connection, account.account_id, {
            check_id: combine(by_region, check_id in ANY_REGION)
            for check_id, by_region in per_check.items()}, today, account)
        store_hub_findings(connection, account, hub, today)
    account.finished_at = utcnow()
    db.session.commit()


def store_results(run: AwsRun, connection: AwsConnection, account_id: str,
                  results: dict[str, Result], today: date, account: AwsRunAccount) -> None:
    """Store one account's verdicts: a result row per check, a version unless unreadable."""
    states = {s.check_id: s for s in db.session.scalars(select(AwsCheck).where(
        AwsCheck.connection_id == connection.id, AwsCheck.account_id == account_id))}
    regions = connection.region_list
    for check in CHECKS:
        result = results.get(check.id)
        if result is None:
            continue
        payload = canonical_json(check, account_id, regions, result)
        _record(run, connection, account_id, check, result, payload, states.get(check.id),
                today)
    errors = sum(r.verdict is Verdict.ERROR for r in results.values())
    account.checks, account.errors = len(results), errors
    account.failed = sum(r.verdict is Verdict.FAIL for r in results.values())
    account.status = "partial" if errors else "ok"
    account.message = f"{len(results) - errors} checks read, {errors} errors."


def store_hub_findings(connection: AwsConnection, account: AwsRunAccount,
                       by_region: dict[str, dict], today: date) -> None:
    """Store the account's Security Hub findings as imported ASFF is, and say how it went."""
    if not by_region:
        return
    groups: dict = {}
    for region in sorted(by_region):
        merge_json_groups(by_region[region]["groups"], groups)
    added, unchanged, _ = store_groups(groups, COLLECTED, connection.owner_id, today, ACTOR)
    failing = sum(g.counts.get("FAILED", 0) for g in groups.values())
    suppressed = sum(g.muted.get("FAILED", 0) for g in groups.values())
    said = [f"Security Hub: {failing} active failed findings"
            + (f" ({suppressed} suppressed apart)" if suppressed else "")
            + f" in {len(groups)} checks, {added} new versions, {unchanged} unchanged"]
    said += [f"{region}: {row['detail']}" for region, row in sorted(by_region.items())
             if row["status"] != "read"]
    if account.status == "ok" and any(row["status"] in ("denied", "error")
                                      for row in by_region.values()):
        account.status = "partial"
    account.message = f"{account.message} {'; '.join(said)}."


def _record(run, connection, account_id, check, result, payload: bytes,
            state: AwsCheck | None, today: date) -> None:
    """Store one check's outcome: a new evidence version unless it could not be read."""
    version_id, item_id = None, state.evidence_item_id if state else None
    if result.verdict is not Verdict.ERROR:
        label = connection.name if account_id == connection.account_id and not (
            connection.is_organization) else f"{connection.name} {account_id}"
        stored = store_file_evidence(
            item_id, payload, file_name=f"{check.id}.json",
            title=f"AWS {label}: {check.title}", owner_id=connection.owner_id,
            refs=[("2013", c) for c in check.controls_2013] + [
                ("2022", c) for c in check.controls_2022],
            collected_on=today,
            valid_until=today + timedelta(days=current_app.config["ISMS_AWS_VALID_DAYS"]),
            description=f"Collected automatically from AWS account {account_id}.",
            tags=("aws", "automated"), audit_actor=ACTOR)
        version_id, item_id = stored.version_id, stored.item_id
    row = AwsCheckResult(run_id=run.id, connection_id=connection.id, account_id=account_id,
                         check_id=check.id, verdict=result.verdict.value, reason=result.reason,
                         evidence_version_id=version_id)
    db.session.add(row)
    db.session.flush()
    if state is None:
        state = AwsCheck(connection_id=connection.id, account_id=account_id, check_id=check.id)
        db.session.add(state)
    state.evidence_item_id, state.last_result_id, state.verdict = item_id, row.id, row.verdict


def _finish_run(run_id: int) -> None:
    """Close the run once no account is still collecting (one job wins the claim)."""
    open_accounts = exists().where(AwsRunAccount.run_id == run_id,
                                   AwsRunAccount.status.in_(("collecting", "merging")))
    claimed = db.session.execute(
        update(AwsRun).where(AwsRun.id == run_id, AwsRun.status == "running", ~open_accounts)
        .values(status="closing").execution_options(synchronize_session=False)).rowcount
    if not claimed:
        db.session.rollback()
        return
    run = db.session.get(AwsRun, run_id)
    db.session.refresh(run)
    counts = dict(db.session.execute(
        select(AwsRunAccount.status, func.count()).where(AwsRunAccount.run_id == run_id)
        .group_by(AwsRunAccount.status)).all())
    checks, errors = db.session.execute(
        select(func.coalesce(func.sum(AwsRunAccount.checks), 0),
               func.coalesce(func.sum(AwsRunAccount.errors), 0))
        .where(AwsRunAccount.run_id == run_id)).one()
    total = sum(counts.values())
    run.status = ("error" if counts.get("error", 0) == total
                  else "partial" if errors or counts.get("error") or counts.get("partial")
                  else "ok")
    if total == 1:
        only = db.session.scalars(select(AwsRunAccount).where(
            AwsRunAccount.run_id == run_id)).one()
        run.message = only.message
    else:
        run.message = (f"{total} accounts: {counts.get('ok', 0)} ok, "
                       f"{counts.get('partial', 0)} partial, {counts.get('error', 0)} error; "
                       f"{checks - errors} checks read, {errors} errors.")
    run.finished_at = utcnow()
    record_event("aws.run", "aws_connection", run.connection_id, actor=run.actor or ACTOR,
                 after={"run": run.id, "status": run.status, "errors": int(errors)})
    db.session.commit()

