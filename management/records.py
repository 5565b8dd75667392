"""Internal audits (9.2), management reviews (9.3) and the actions they and findings raise."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from isms.api import User, db, record_event
from management.models import (
    Action,
    AuditStatus,
    Finding,
    InputState,
    InternalAudit,
    ManagementReview,
    ReviewInput,
)

# What clause 9.3 asks a management review to consider, in the standard's order.
REVIEW_INPUTS = (
    ("previous_actions", "Status of actions from previous management reviews"),
    ("issues", "Changes in external and internal issues relevant to the ISMS"),
    ("parties_needs", "Changes in needs and expectations of interested parties"),
    ("nonconformities", "Nonconformities and corrective actions"),
    ("monitoring", "Monitoring and measurement results"),
    ("audit_results", "Audit results"),
    ("objectives", "Fulfilment of information security objectives"),
    ("parties_feedback", "Feedback from interested parties"),
    ("risk_results", "Results of risk assessment and status of the risk treatment plan"),
    ("improvement", "Opportunities for continual improvement"),
)
INPUT_LABELS = dict(REVIEW_INPUTS)


class RecordError(ValueError):
    """A record cannot be saved as given; `field` names the form field at fault."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


AUDIT_FIELDS = ("title", "scope", "auditor", "planned_on", "performed_on", "status", "summary")


def save_audit(audit: InternalAudit | None, values: dict, actor: User) -> InternalAudit:
    """Plan an internal audit or record its outcome; a done audit needs a date and summary."""
    if values.get("status") is AuditStatus.DONE:
        if not values.get("performed_on"):
            raise RecordError("Give the date the audit was performed.", "performed_on")
        if not values.get("summary"):
            raise RecordError("Summarise what the audit found.", "summary")
    creating = audit is None
    before = {} if creating else {k: getattr(audit, k) for k in AUDIT_FIELDS}
    if creating:
        audit = InternalAudit(**values)
        db.session.add(audit)
    else:
        for name, value in values.items():
            setattr(audit, name, value)
    db.session.flush()
    after = {k: getattr(audit, k) for k in AUDIT_FIELDS}
    changed = [k for k in AUDIT_FIELDS if before.get(k) != after[k]]
    if changed:
        record_event("internal_audit.create" if creating else "internal_audit.update",
                     "internal_audit", audit.id, before={k: before.get(k) for k in changed
                                                         if k in before},
                     after={k: after[k] for k in changed}, actor=str(actor.id))
    return audit


def list_audits() -> list[InternalAudit]:
    return list(db.session.scalars(select(InternalAudit).order_by(
        InternalAudit.planned_on.desc(), InternalAudit.id.desc())))


def findings_by_audit(audit_ids) -> dict[int, list[Finding]]:
    found: dict[int, list[Finding]] = {i: [] for i in audit_ids}
    for finding in db.session.scalars(select(Finding).where(
            Finding.audit_id.in_(list(audit_ids))).order_by(Finding.ref)):
        found[finding.audit_id].append(finding)
    return found


def save_review(values: dict, inputs: dict[str, tuple[InputState, str]],
                actor: User) -> ManagementReview:
    """Record a management review with every input clause 9.3 lists, each with its state."""
    missing = [key for key, _ in REVIEW_INPUTS if key not in inputs]
    if missing:
        raise RecordError(f"Say for every input whether it was discussed: "
                          f"{', '.join(INPUT_LABELS[k] for k in missing)}.")
    review = ManagementReview(**values)
    db.session.add(review)
    for position, (key, _) in enumerate(REVIEW_INPUTS):
        state, notes = inputs[key]
        if state is InputState.DISCUSSED and not notes:
            raise RecordError(f"Note what was said on: {INPUT_LABELS[key]}.", f"notes_{key}")
        review.inputs.append(ReviewInput(key=key, position=position, state=state, notes=notes))
    db.session.flush()
    record_event("management_review.create", "management_review", review.id,
                 after={"held_on": review.held_on, "attendees": review.attendees,
                        "inputs": {i.key: i.state.value for i in review.inputs}},
                 actor=str(actor.id))
    return review


def list_reviews() -> list[ManagementReview]:
    return list(db.session.scalars(select(ManagementReview).options(
        selectinload(ManagementReview.inputs)).order_by(ManagementReview.held_on.desc())))


def get_review(review_id: int) -> ManagementReview | None:
    return db.session.scalars(select(ManagementReview).where(
        ManagementReview.id == review_id).options(
        selectinload(ManagementReview.inputs))).one_or_none()


def add_action(*, description: str, owner_id: int | None, due_on: date | None,
               finding: Finding | None = None, review: ManagementReview | None = None,
               actor: User) -> Action:
    """Add an action; it needs a description, an owner and a due date."""
    if not description:
        raise RecordError("Describe the action.", "description")
    if not owner_id:
        raise RecordError("Choose who owns the action.", "owner_id")
    if due_on is None:
        raise RecordError("Give a due date.", "due_on")
    action = Action(description=description, owner_id=owner_id, due_on=due_on,
                    finding_id=finding.id if finding else None,
                    review_id=review.id if review else None)
    db.session.add(action)
    db.session.flush()
    record_event("action.create", "action", action.id, actor=str(actor.id), after={
        "description": description, "owner_id": owner_id, "due_on": due_on,
        "finding": finding.ref if finding else None, "review": review.id if review else None})
    return action


def complete_action(action: Action, actor: User, today: date) -> None:
    if action.done_on is not None:
        raise RecordError("This action is already done.")
    action.done_on = today
    record_event("action.done", "action", action.id, after={"done_on": today},
                 actor=str(actor.id))


def get_action(action_id: int) -> Action | None:
    return db.session.scalars(select(Action).where(Action.id == action_id).options(
        joinedload(Action.owner), joinedload(Action.finding))).one_or_none()


def actions_of_review(review_id: int) -> list[Action]:
    return list(db.session.scalars(select(Action).where(Action.review_id == review_id)
                                   .options(joinedload(Action.owner)).order_by(Action.id)))


@dataclass(frozen=True)
class OpenAction:
    id: int
    description: str
    due_on: date
    owner_id: int
    source: str  # "F-003" or "Management review 2026-03-12"
    finding_ref: str | None
    review_id: int | None


def count_overdue_actions(today: date) -> int:
    """Count the actions not done by their due date (one query, no rows loaded)."""
    return db.session.scalar(select(func.count(Action.id)).where(
        Action.done_on.is_(None), Action.due_on < today))


def open_actions(owner_id: int | None = None, due_before: date | None = None) -> list[OpenAction]:
    """Return actions not done yet, soonest first (one query)."""
    query = (select(Action).where(Action.done_on.is_(None))
             .options(joinedload(Action.finding), joinedload(Action.review))
             .order_by(Action.due_on, Action.id))
    if owner_id is not None:
        query = query.where(Action.owner_id == owner_id)
    if due_before is not None:
        query = query.where(Action.due_on < due_before)
    return [OpenAction(
        a.id, a.description, a.due_on, a.owner_id,
        a.finding.ref if a.finding else (
            f"Management review {a.review.held_on}" if a.review else "Action"),
        a.finding.ref if a.finding else None, a.review_id) for a in db.session.scalars(query)]
