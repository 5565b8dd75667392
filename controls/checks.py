"""Consistency checks on the controls: risks, evidence and auditors' requests."""

from datetime import date

from flask import url_for
from sqlalchemy import select

from controls.links import control_url
from controls.models import (
    Applicability,
    ControlState,
    EvidenceRequest,
    ImplementationStatus,
    RequestStatus,
    Review,
    ReviewOutcome,
)
from evidence.api import status_by_control
from isms.api import Inconsistency, db, get_organisation, register_check
from management.api import risk_treatments


def latest_outcomes(edition: str, control_ids) -> dict[str, ReviewOutcome]:
    """The outcome of each control's latest review (one query)."""
    found: dict[str, ReviewOutcome] = {}
    for control_id, outcome in db.session.execute(
            select(Review.control_id, Review.outcome)
            .where(Review.edition == edition, Review.control_id.in_(list(control_ids)))
            .order_by(Review.control_id, Review.reviewed_on, Review.created_at, Review.id)):
        found[control_id] = outcome
    return found


def risk_treatment_contradictions(today: date) -> list[Inconsistency]:
    """A risk treated (plan done) or accepted while a treating control is not in place."""
    edition = get_organisation().edition
    risks = [r for r in risk_treatments(edition) if r.plan_done or r.accepted]
    wanted = {c for r in risks for c in r.control_ids}
    statuses = dict(db.session.execute(
        select(ControlState.control_id, ControlState.implementation_status).where(
            ControlState.edition == edition, ControlState.control_id.in_(list(wanted)))).all())
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
    for control_id in db.session.scalars(
            select(ControlState.control_id).where(
                ControlState.edition == edition,
                ControlState.applicability == Applicability.APPLICABLE)
            .order_by(ControlState.control_id)):
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
