"""The findings register: nonconformities and their correction, one status at a time."""

import re
from dataclasses import dataclass, fields
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from isms.api import Role, User, db, pick_arg, record_event, utcnow
from management.models import (
    Action,
    Finding,
    FindingSource,
    FindingStatus,
    FindingType,
)
from management.records import RecordError

FINDING_REF = re.compile(r"^F-(\d+)$")
ORDER = (FindingStatus.OPEN, FindingStatus.ACTION_PLANNED,
         FindingStatus.AWAITING_VERIFICATION, FindingStatus.CLOSED)
EDITABLE = ("type", "source", "source_ref", "audit_id", "refs", "description", "root_cause")


class FindingError(RecordError):
    """A finding cannot change as asked; the message says why."""


def next_ref() -> str:
    numbers = [int(m.group(1)) for r in db.session.scalars(select(Finding.ref))
               if (m := FINDING_REF.match(r))]
    return f"F-{max(numbers, default=0) + 1:03d}"


def raise_finding(values: dict, actor: User, today: date) -> Finding:
    """Record a new finding, open, with the next free id."""
    if not values.get("description"):
        raise FindingError("Describe the finding.", "description")
    if values["source"] is FindingSource.CERTIFICATION_AUDIT and not values.get("source_ref"):
        raise FindingError("Give the certification auditor's reference.", "source_ref")
    finding = Finding(ref=next_ref(), raised_by_id=actor.id, raised_on=today,
                      status=FindingStatus.OPEN, **values)
    db.session.add(finding)
    db.session.flush()
    record_event("finding.create", "finding", finding.ref, actor=str(actor.id),
                 after={k: getattr(finding, k) for k in EDITABLE})
    return finding


def update_finding(finding: Finding, values: dict, actor: User) -> None:
    """Change a finding's description; a closed finding is frozen until it is reopened."""
    if finding.status is FindingStatus.CLOSED:
        raise FindingError("A closed finding cannot be edited; reopen it with a reason first.")
    if not values.get("description"):
        raise FindingError("Describe the finding.", "description")
    before = {k: getattr(finding, k) for k in EDITABLE}
    for name, value in values.items():
        setattr(finding, name, value)
    changed = [k for k in EDITABLE if before[k] != getattr(finding, k)]
    if changed:
        record_event("finding.update", "finding", finding.ref, actor=str(actor.id),
                     before={k: before[k] for k in changed},
                     after={k: getattr(finding, k) for k in changed})


def next_status(finding: Finding) -> FindingStatus | None:
    index = ORDER.index(finding.status)
    return ORDER[index + 1] if index + 1 < len(ORDER) else None


def advance(finding: Finding, actor: User, to: FindingStatus) -> None:
    """Move a finding one step on; each step checks what it needs."""
    if to is not next_status(finding):
        raise FindingError(f"A finding that is {finding.status.value.replace('_', ' ')} moves "
                           "only to the next status.")
    if to is FindingStatus.CLOSED:
        raise FindingError("Closing needs a verification of effectiveness.")
    if to is FindingStatus.ACTION_PLANNED:
        if not finding.actions:
            raise FindingError("Plan at least one corrective action first.")
        if not finding.root_cause and finding.type in (FindingType.MAJOR_NC,
                                                       FindingType.MINOR_NC):
            raise FindingError("Record the root cause of a nonconformity first.")
    if to is FindingStatus.AWAITING_VERIFICATION and any(
            a.done_on is None for a in finding.actions):
        raise FindingError("Every action must be done before verification.")
    _set_status(finding, to, actor)


def verify_and_close(finding: Finding, actor: User, on: date | None, result: str) -> None:
    """Record the verification of effectiveness and close the finding."""
    if finding.status is not FindingStatus.AWAITING_VERIFICATION:
        raise FindingError("Only a finding awaiting verification can be closed.")
    if on is None:
        raise FindingError("Give the date of the verification.", "verified_on")
    if not result:
        raise FindingError("Say how effectiveness was verified and what was found.",
                           "verification")
    finding.verified_by_id, finding.verified_on, finding.verification = actor.id, on, result
    finding.closed_at = utcnow()
    _set_status(finding, FindingStatus.CLOSED, actor,
                extra={"verified_on": on, "verification": result})


def reopen(finding: Finding, actor: User, reason: str) -> None:
    """Reopen a closed finding; the reason is kept in the audit trail."""
    if finding.status is not FindingStatus.CLOSED:
        raise FindingError("Only a closed finding can be reopened.")
    if not reason:
        raise FindingError("Give the reason for reopening.", "reason")
    finding.verified_by_id, finding.verified_on, finding.verification = None, None, ""
    finding.closed_at = None
    _set_status(finding, FindingStatus.OPEN, actor, extra={"reason": reason})


def _set_status(finding: Finding, to: FindingStatus, actor: User, extra=None) -> None:
    before = finding.status
    finding.status = to
    record_event("finding.status", "finding", finding.ref, actor=str(actor.id),
                 before={"status": before.value}, after={"status": to.value, **(extra or {})})


def may_manage(user: User) -> bool:
    return user.role is Role.LEAD


@dataclass(frozen=True)
class FindingFilters:
    status: str = ""
    type: str = ""
    source: str = ""
    q: str = ""

    @classmethod
    def from_args(cls, args) -> "FindingFilters":
        statuses = {s.value for s in FindingStatus} | {"not_closed"}
        return cls(status=pick_arg(args, "status", statuses),
                   type=pick_arg(args, "type", {t.value for t in FindingType}),
                   source=pick_arg(args, "source", {s.value for s in FindingSource}),
                   q=(args.get("q") or "").strip()[:100])

    def as_args(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}


def finding_query(filters: FindingFilters):
    query = select(Finding).options(joinedload(Finding.raised_by),
                                    selectinload(Finding.actions).joinedload(Action.owner))
    if filters.status == "not_closed":
        query = query.where(Finding.status != FindingStatus.CLOSED)
    elif filters.status:
        query = query.where(Finding.status == FindingStatus(filters.status))
    if filters.type:
        query = query.where(Finding.type == FindingType(filters.type))
    if filters.source:
        query = query.where(Finding.source == FindingSource(filters.source))
    if filters.q:
        needle = f"%{filters.q}%"
        query = query.where(Finding.description.ilike(needle) | Finding.refs.ilike(needle)
                            | Finding.ref.ilike(needle))
    return query.order_by(Finding.id.desc())


def get_finding(ref: str) -> Finding | None:
    return db.session.scalars(select(Finding).where(Finding.ref == ref.upper()).options(
        joinedload(Finding.raised_by), joinedload(Finding.verified_by),
        joinedload(Finding.audit),
        selectinload(Finding.actions).joinedload(Action.owner))).one_or_none()


def counts_by_status() -> dict[str, int]:
    return {s.value: n for s, n in db.session.execute(
        select(Finding.status, func.count(Finding.id)).group_by(Finding.status))}
