"""Controls and reviews as plain records for other packages, and changes with the form's rules."""

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.datastructures import MultiDict

from controls.forms import ControlForm
from controls.models import ControlState, Review, ReviewOutcome
from controls.reviews import ReviewError, list_reviews, record_review
from controls.services import (
    ControlFilters,
    ControlRow,
    can_edit,
    get_control_row,
    page_of_control_rows,
    snapshot,
)
from controls.views import _form_data, _owner_choices
from evidence.api import current_versions_for_control
from isms.api import User, actor_of, choices, db, get_edition, jsonable, local_today


class DecisionError(ValueError):
    """A change the form would refuse; `errors` maps each field to its messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(m for ms in errors.values() for m in ms))
        self.errors = errors


class NotAllowed(PermissionError):
    """The user may not change this control."""


class Stale(RuntimeError):
    """The control changed since the version the caller saw (its ETag)."""


@dataclass(frozen=True)
class ControlSummary:
    """A control as lists show it: its decision and status, without a validator."""

    edition: str
    control_id: str
    title: str
    group_id: str
    group_title: str
    applicability: str | None
    reasons: tuple[str, ...]
    justification: str
    implementation_status: str | None
    responsibility: str
    company_part: str
    aws_part: str
    owner_id: int | None
    owner_name: str | None
    review_cadence: str
    first_review_on: date | None
    next_review_on: date | None
    review_status: str
    evidence_status: str
    risk_refs: str
    notes: str
    updated_at: datetime | None


@dataclass(frozen=True)
class ControlRecord(ControlSummary):
    """One control as read before a change: with the ETag that guards the change."""

    etag: str


def decision_etag(state: ControlState) -> str:
    """A strong validator of a control's decision: the hash of its audited fields."""
    canonical = json.dumps(jsonable(snapshot(state)), sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


def _summary_fields(row: ControlRow, groups: dict[str, str]) -> tuple:
    """The values of a `ControlSummary`, in its fields' order."""
    state, item = row.state, row.item
    return (
        state.edition, item.control_id, item.title, item.group_id,
        groups.get(item.group_id, ""),
        state.applicability.value if state.applicability else None,
        tuple(r.value for r in state.reasons), state.justification,
        state.implementation_status.value if state.implementation_status else None,
        state.responsibility.value, state.company_part, state.aws_part, state.owner_id,
        state.owner.display_name if state.owner else None, state.review_cadence.value,
        state.first_review_on, row.review.next_due if row.review else None,
        row.review.status if row.review else "none", row.evidence, state.risk_refs,
        state.notes, state.updated_at)


def _record(row: ControlRow, groups: dict[str, str]) -> ControlRecord:
    return ControlRecord(*_summary_fields(row, groups), decision_etag(row.state))


def list_controls(edition: str, args: Mapping, page: int, per_page: int, visible=None
                  ) -> tuple[list[ControlSummary], int]:
    """Return one page of the controls the list's filters select (same names as the page),
    in catalog order, and how many there are; only the page's records are built."""
    groups = dict(get_edition(edition).groups)
    filters = ControlFilters.from_args(args, list(groups))
    rows, total = page_of_control_rows(edition, filters, page, per_page, visible)
    return [ControlSummary(*_summary_fields(row, groups)) for row in rows], total


def get_control(edition: str, control_id: str) -> ControlRecord | None:
    """Return one control of the edition, or None."""
    row = get_control_row(edition, control_id, editable=False)
    return _record(row, dict(get_edition(edition).groups)) if row else None


def _form_input(row: ControlRow, changes: Mapping) -> MultiDict:
    data = MultiDict()
    merged = {**_form_data(row), **changes}
    for name, value in merged.items():
        if isinstance(value, list | tuple):
            for entry in value:
                data.add(name, str(entry))
        elif value is not None:
            data.add(name, value.isoformat() if isinstance(value, date) else str(value))
    return data


def decide(edition: str, control_id: str, changes: Mapping, user: User, *,
           if_match: str | None = None, audit_actor: str | None = None) -> list[str]:
    """Apply a partial decision with the form's rules; return warnings (the caller commits).

    Raises LookupError, NotAllowed, Stale (the ETag no longer matches) or DecisionError.
    """
    row = get_control_row(edition, control_id)
    if row is None:
        raise LookupError(control_id)
    db.session.scalars(select(ControlState.id).where(ControlState.id == row.state.id)
                       .with_for_update()).one()
    if not can_edit(user, row.state):
        raise NotAllowed(control_id)
    if if_match is not None and if_match != decision_etag(row.state):
        raise Stale(control_id)
    may_assign = user.role.value == "lead"
    if "owner_id" in changes and not may_assign:
        raise DecisionError({"owner_id": ["Only the lead assigns owners."]})
    form = ControlForm(formdata=_form_input(row, changes), meta={"csrf": False})
    form.owner_id.choices = choices([("", "Nobody yet"), *_owner_choices(row.state)])
    if not form.validate():
        raise DecisionError({name: list(messages) for name, messages in form.errors.items()})
    from controls.api import apply_decision  # the service every writer of decisions shares

    return apply_decision(edition, control_id, form.values(may_assign), user,
                          audit_actor=audit_actor or actor_of(user))


@dataclass(frozen=True)
class ReviewRecord:
    id: int
    edition: str
    control_id: str
    reviewed_on: date
    outcome: str
    notes: str
    reviewer_id: int
    reviewer_name: str
    evidence_version_ids: tuple[int, ...]
    corrects_id: int | None
    created_at: datetime


def _review_record(review: Review) -> ReviewRecord:
    return ReviewRecord(review.id, review.edition, review.control_id, review.reviewed_on,
                        review.outcome.value, review.notes, review.reviewer_id,
                        review.reviewer.display_name,
                        tuple(sorted(link.evidence_version_id for link in review.evidence_links)),
                        review.corrects_id, review.created_at)


def reviews_of(edition: str, control_id: str, limit: int = 100) -> list[ReviewRecord]:
    """Return a control's latest reviews, newest first."""
    return [_review_record(r) for r in list_reviews(edition, control_id, limit=limit)]


def add_review(edition: str, control_id: str, user: User, *, reviewed_on: date, outcome: str,
               notes: str, evidence_version_ids=(), audit_actor: str | None = None
               ) -> ReviewRecord:
    """Record a review as the form does (the caller commits); raises LookupError, NotAllowed
    or DecisionError."""
    row = get_control_row(edition, control_id)
    if row is None:
        raise LookupError(control_id)
    if not can_edit(user, row.state):
        raise NotAllowed(control_id)
    pinnable = {v.version_id for v in current_versions_for_control(edition, control_id)}
    unknown = sorted(set(evidence_version_ids) - pinnable)
    if unknown:
        raise DecisionError({"evidence_version_ids": [
            f"Not a current evidence version of {control_id}: "
            f"{', '.join(map(str, unknown))}."]})
    try:
        review = record_review(row.state, user, reviewed_on=reviewed_on,
                               outcome=ReviewOutcome(outcome), notes=notes,
                               version_ids=evidence_version_ids, follow_ups=[],
                               today=local_today(), audit_actor=audit_actor or actor_of(user))
    except ReviewError as error:
        raise DecisionError({error.field or "notes": [str(error)]}) from error
    db.session.flush()
    return _review_record(db.session.scalars(
        select(Review).where(Review.id == review.id)
        .options(joinedload(Review.reviewer), selectinload(Review.evidence_links))).one())


def reviews_in_edition(edition: str, limit: int = 5000) -> list[ReviewRecord]:
    """Return the edition's latest reviews across all controls, newest first."""
    return [_review_record(r) for r in db.session.scalars(
        select(Review).where(Review.edition == edition)
        .options(joinedload(Review.reviewer), selectinload(Review.evidence_links))
        .order_by(Review.reviewed_on.desc(), Review.id.desc()).limit(limit))]
