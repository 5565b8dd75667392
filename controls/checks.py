"""Consistency checks on the controls: risks, evidence and auditors' requests."""

from datetime import date
from functools import cache

from flask import url_for
from sqlalchemy import bindparam, func, select

from controls.links import control_url
from controls.models import (
    Applicability,
    EvidenceRequest,
    ImplementationStatus,
    RequestStatus,
    Review,
    ReviewOutcome,
)
from controls.services import all_states
from evidence.api import status_by_control
from isms.api import Inconsistency, db, get_organisation, register_check
from management.api import risk_treatments


def latest_outcomes(edition: str, control_ids) -> dict[str, ReviewOutcome]:
    """The outcome of each of these controls' latest review (one query)."""
    wanted = set(control_ids)
    if not wanted:
        return {}
    return {control_id: outcome for control_id, outcome
            in db.session.execute(_latest_outcomes_statement(), {"edition": edition})
            if control_id in wanted}


@cache
def _latest_outcomes_statement():
    """Every control's latest review outcome (one row per reviewed control, the edition
    bound), built once: naming the controls in an IN clause cost more to plan than this."""
    newest_first = func.row_number().over(
        partition_by=Review.control_id,
        order_by=(Review.reviewed_on.desc(), Review.created_at.desc(), Review.id.desc()))
    ranked = (select(Review.control_id, Review.outcome, newest_first.label("rank"))
              .where(Review.edition == bindparam("edition")).subquery("ranked"))
    return select(ranked.c.control_id, ranked.c.outcome).where(ranked.c.rank == 1)


def risk_treatment_contradictions(today: date) -> list[Inconsistency]:
    """A risk treated (plan done) or accepted while a treating control is not in place."""
    edition = get_organisation().edition
    risks = [r for r in risk_treatments(edition) if r.plan_done or r.accepted]
    wanted = {c for r in risks for c in r.control_ids}
    if not wanted:
        return []
    statuses = {state.control_id: state.implementation_status for state in all_states(edition)}
    outcomes = latest_outcomes(edition, wanted)
    found = []
    for risk in risks:
        claim = "plan is done" if risk.plan_done else "residual risk is accepted"
        if risk.plan_done and risk.accepted:
            claim = "plan is done and its residual risk accepted"
        for control_id in risk.control_ids:
            status, outcome = statuses.get(control_id), outcomes.get(control_id)
            problem = None
            if status is not ImplementationStatus.IMPLEMENTED:
                problem = f"is {(status.value if status else 'not_started').replace('_', ' ')}"
            elif outcome is ReviewOutcome.NOT_EFFECTIVE:
                problem = "was found not effective at its last review"
            if problem:
                found.append(Inconsistency(
                    f"{risk.ref} {risk.title}: its {claim}, but {control_id} {problem}.",
                    control_url(control_id), f"Open {control_id}"))
    return found


def applicable_without_evidence(today: date) -> list[Inconsistency]:
    """An applicable control with no current evidence (none, or only expired)."""
    edition = get_organisation().edition
    evidence = status_by_control(edition)
    found = []
    for control_id in sorted(state.control_id for state in all_states(edition)
                             if state.applicability is Applicability.APPLICABLE):
        status = evidence.get(control_id, "none")
        if status in ("none", "expired"):
            found.append(Inconsistency(
                f"{control_id} is applicable but has "
                f"{'no evidence' if status == 'none' else 'only expired evidence'}.",
                control_url(control_id), f"Add evidence to {control_id}"))
    return found


def overdue_requests(today: date) -> list[Inconsistency]:
    """An auditor's evidence request past its due date and still not answered."""
    found = []
    for request in db.session.scalars(
            select(EvidenceRequest).where(
                EvidenceRequest.status.in_([RequestStatus.OPEN, RequestStatus.REJECTED]),
                EvidenceRequest.due_on < today).order_by(EvidenceRequest.due_on)):
        found.append(Inconsistency(
            f"The request on {request.control_id} was due {request.due_on} and is still "
            f"{request.status.value}.",
            url_for("controls.requests_list", status=request.status.value)
            + f"#request-{request.id}", "Answer it"))
    return found


def register(app) -> None:
    register_check(app, "risk-treatment", "Risks treated or accepted on controls not in place",
                   risk_treatment_contradictions)
    register_check(app, "evidence", "Applicable controls without current evidence",
                   applicable_without_evidence)
    register_check(app, "requests", "Evidence requests past their due date", overdue_requests)
