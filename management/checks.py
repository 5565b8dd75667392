"""Consistency checks the management system can make on its own, and facts for the others."""

from dataclasses import dataclass
from datetime import date
from functools import cache

from flask import url_for
from sqlalchemy import bindparam, select

from isms.api import Inconsistency, clauses, db, get_organisation, read_once, register_check
from management.models import ClauseState, ClauseStatus, PlanStatus, Risk, RiskControl

ORDER = {ClauseStatus.NOT_STARTED: 0, ClauseStatus.IN_PROGRESS: 1, ClauseStatus.DONE: 2}


@dataclass(frozen=True)
class RiskTreatment:
    ref: str
    title: str
    plan_done: bool
    accepted: bool
    control_ids: tuple[str, ...]


def clause_statuses(edition: str) -> dict[str, ClauseStatus]:
    """Every clause's status (not started when never edited), in one query (read once per page
    that asks twice: the dashboard's checks do)."""
    return dict(read_once(("clause-statuses", edition), lambda: _clause_statuses(edition)))


def _clause_statuses(edition: str) -> dict[str, ClauseStatus]:
    stored = dict(db.session.execute(_clause_statuses_statement(), {"edition": edition}).all())
    return {c.clause_id: stored.get(c.clause_id, ClauseStatus.NOT_STARTED)
            for c in clauses(edition)}


@cache
def _clause_statuses_statement():
    return (select(ClauseState.clause_id, ClauseState.status)
            .where(ClauseState.edition == bindparam("edition")))


def risk_treatments(edition: str) -> list[RiskTreatment]:
    """Each risk's plan state, acceptance and the controls treating it (two queries)."""
    treating: dict[int, list[str]] = {}
    for risk_id, control_id in db.session.execute(_treating_statement(), {"edition": edition}):
        treating.setdefault(risk_id, []).append(control_id)
    return [RiskTreatment(ref, title, status is PlanStatus.DONE, accepted_on is not None,
                          tuple(treating.get(risk_id, ())))
            for risk_id, ref, title, status, accepted_on in db.session.execute(
                _treatments_statement())]


@cache
def _treating_statement():
    return (select(RiskControl.risk_id, RiskControl.control_id)
            .where(RiskControl.edition == bindparam("edition")).order_by(RiskControl.id))


@cache
def _treatments_statement():
    return (select(Risk.id, Risk.ref, Risk.title, Risk.plan_status, Risk.accepted_on)
            .order_by(Risk.ref))


def parent_clause_mismatch(today: date) -> list[Inconsistency]:
    """A parent clause done while a sub-clause is not, or not started while one has begun."""
    edition = get_organisation().edition
    statuses = clause_statuses(edition)
    children: dict[str, list[str]] = {}
    for clause in clauses(edition):
        if clause.parent_id:
            children.setdefault(clause.parent_id, []).append(clause.clause_id)
    found = []
    for parent, kids in children.items():
        status = statuses.get(parent)
        if status is None:
            continue
        behind = [k for k in kids if ORDER[statuses[k]] < ORDER[status]
                  and status is ClauseStatus.DONE]
        ahead = [k for k in kids if ORDER[statuses[k]] > ORDER[status]
                 and status is ClauseStatus.NOT_STARTED]
        if behind:
            found.append(Inconsistency(
                f"Clause {parent} is done while {', '.join(behind)} "
                f"{'is' if len(behind) == 1 else 'are'} not.",
                url_for("management.clause", clause_id=parent), f"Open clause {parent}"))
        elif ahead:
            found.append(Inconsistency(
                f"Clause {parent} is not started while {', '.join(ahead)} "
                f"{'has' if len(ahead) == 1 else 'have'} begun.",
                url_for("management.clause", clause_id=parent), f"Open clause {parent}"))
    return found


def register(app) -> None:
    register_check(app, "clause-hierarchy", "Clauses out of step with their sub-clauses",
                   parent_clause_mismatch)
