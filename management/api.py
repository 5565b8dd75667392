"""What packages above may ask of the management system: risks per control, progress, actions,
the standing of each clause requirement."""

from collections import Counter
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from isms.api import User, clauses, db
from management.api_records import FindingRecord, RiskRecord, list_findings, list_risks
from management.checks import RiskTreatment, clause_statuses, risk_treatments
from management.clauses import clause_progress
from management.findings import counts_by_status
from management.models import ClauseEvidence, ClauseState, Risk
from management.records import OpenAction, count_overdue_actions, open_actions
from management.risks import RiskRef, band_counts, risks_by_control, set_control_risks


def risks_for_controls(edition: str, refs_by_control: dict[str, str]) -> dict[str, list[RiskRef]]:
    """Return the risks each control treats (linked, or named in its free text), two queries."""
    return risks_by_control(edition, refs_by_control)


def link_control_risks(edition: str, control_id: str, refs_text: str) -> list[str]:
    """Link the control to the register ids in its text; return the risk ids it lacks."""
    return set_control_risks(edition, control_id, refs_text)


@dataclass(frozen=True)
class ManagementSummary:
    clauses: Counter  # by status
    risks: Counter  # by band
    findings: dict  # by status
    overdue_actions: int


def summary(edition: str, today: date) -> ManagementSummary:
    """The figures the dashboard shows beside Annex A (four small queries)."""
    return ManagementSummary(clause_progress(edition), band_counts(edition), counts_by_status(),
                             count_overdue_actions(today))


def load_demo(users: dict, edition: str, today: date) -> None:
    """Fill the management system for the demo; users by role word: lead, cloud, people."""
    from management.demo import load_demo as fill

    fill(users, edition, today)


def risk_register_dates() -> tuple[date | None, date | None]:
    """When the risk assessment and the treatment plan last changed (register rows), or None."""
    changed = func.max(func.coalesce(Risk.updated_at, Risk.created_at))
    assessed, planned = db.session.execute(
        select(changed, func.max(func.coalesce(Risk.updated_at, Risk.created_at))
               .filter(Risk.plan != ""))).one()
    return (assessed.date() if assessed else None, planned.date() if planned else None)


def overdue_actions_by_owner(today: date) -> dict[int, list[OpenAction]]:
    """Group the actions past their due date by owner (for the daily digest)."""
    found: dict[int, list[OpenAction]] = {}
    for action in open_actions(due_before=today):
        found.setdefault(action.owner_id, []).append(action)
    return found


def open_actions_of(owner_id: int) -> list[OpenAction]:
    """An owner's open actions, soonest first (for "My work")."""
    return open_actions(owner_id=owner_id)


@dataclass(frozen=True)
class ClauseStanding:
    clause_id: str
    title: str
    status: str  # not_started | in_progress | done
    owner_name: str | None
    evidence_item_ids: tuple[int, ...]


def clause_standings(edition: str) -> dict[str, ClauseStanding]:
    """Return every clause requirement's status, owner and linked evidence ids (two queries)."""
    states = {clause_id: (status.value, name or email) for clause_id, status, name, email
              in db.session.execute(
                  select(ClauseState.clause_id, ClauseState.status, User.name, User.email)
                  .outerjoin(User, User.id == ClauseState.owner_id)
                  .where(ClauseState.edition == edition))}
    linked: dict[str, list[int]] = {}
    for clause_id, item_id in db.session.execute(
            select(ClauseState.clause_id, ClauseEvidence.evidence_item_id)
            .join(ClauseEvidence, ClauseEvidence.state_id == ClauseState.id)
            .where(ClauseState.edition == edition).order_by(ClauseEvidence.id)):
        linked.setdefault(clause_id, []).append(item_id)
    found = {}
    for clause in clauses(edition):
        status, owner_name = states.get(clause.clause_id, ("not_started", None))
        found[clause.clause_id] = ClauseStanding(
            clause.clause_id, clause.title, status, owner_name,
            tuple(linked.get(clause.clause_id, ())))
    return found


__all__ = [
    "ClauseStanding",
    "FindingRecord",
    "ManagementSummary",
    "OpenAction",
    "RiskRecord",
    "RiskRef",
    "RiskTreatment",
    "clause_standings",
    "clause_statuses",
    "link_control_risks",
    "list_findings",
    "list_risks",
    "load_demo",
    "open_actions_of",
    "overdue_actions_by_owner",
    "risk_register_dates",
    "risk_treatments",
    "risks_for_controls",
    "summary",
]
