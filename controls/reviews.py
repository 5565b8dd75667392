"""Review cadence, due dates, recorded reviews and their follow-up actions."""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from flask import current_app
from sqlalchemy import String, bindparam, func, select
from sqlalchemy.orm import joinedload

from controls.models import (
    ControlState,
    FollowUp,
    Review,
    ReviewCadence,
    ReviewEvidence,
    ReviewOutcome,
)
from isms.api import Role, User, db, record_event, utcnow

CADENCE_MONTHS = {ReviewCadence.MONTHLY: 1, ReviewCadence.QUARTERLY: 3,
                  ReviewCadence.HALF_YEARLY: 6, ReviewCadence.YEARLY: 12}
EDIT_WINDOW = timedelta(hours=24)


class ReviewError(ValueError):
    """A review cannot be recorded or changed; `field` names the form field at fault."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def add_months(day: date, months: int) -> date:
    """Move a date by whole months, keeping the day where the month allows it."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def cadence_after(day: date, cadence: ReviewCadence) -> date | None:
    """Return the date one cadence after `day`, or None when there is no cadence."""
    months = CADENCE_MONTHS.get(cadence)
    return add_months(day, months) if months else None


@dataclass(frozen=True)
class ReviewStatus:
    next_due: date | None
    last_reviewed_on: date | None
    status: str  # none | scheduled | due_soon | overdue

    @property
    def is_due(self) -> bool:
        return self.status in {"due_soon", "overdue"}


def due_soon_days() -> int:
    return current_app.config["ISMS_DUE_SOON_DAYS"]


def due_soon_until(today: date) -> date:
    """The last day a review counts as due soon (rather than scheduled), as of today."""
    return today + timedelta(days=due_soon_days())


def review_status(state: ControlState, last_reviewed_on: date | None, today: date,
                  soon_until: date | None = None) -> ReviewStatus:
    """Next due = last review + cadence; never reviewed = the first due date set. A loop
    passes `due_soon_until(today)` once rather than have each call read the setting."""
    if state.review_cadence is ReviewCadence.NONE:
        return ReviewStatus(None, last_reviewed_on, "none")
    next_due = (cadence_after(last_reviewed_on, state.review_cadence) if last_reviewed_on
                else state.first_review_on)
    if next_due is None:
        return ReviewStatus(None, last_reviewed_on, "none")
    if next_due < today:
        status = "overdue"
    elif next_due <= (soon_until or due_soon_until(today)):
        status = "due_soon"
    else:
        status = "scheduled"
    return ReviewStatus(next_due, last_reviewed_on, status)


def last_reviews(edition: str, control_id: str | None = None) -> dict[str, date]:
    """Return each control's latest review date (or only one control's), in one query."""
    params = {"edition": edition}
    if control_id is not None:  # a control being changed: not every control's reviews
        params["ids"] = [control_id]
    return dict(db.session.execute(_last_reviews_statement("ids" in params), params).all())


@cache
def _last_reviews_statement(some: bool):
    """The statement of `last_reviews`, built once (edition and ids are bound)."""
    reviews = Review.__table__.c  # plain columns: the Core path, without the ORM's steps
    query = select(reviews.control_id, func.max(reviews.reviewed_on)).where(
        reviews.edition == bindparam("edition", type_=String))
    if some:
        query = query.where(reviews.control_id.in_(bindparam("ids", expanding=True)))
    return query.group_by(reviews.control_id)


def review_statuses(edition: str, states, today: date) -> dict[str, ReviewStatus]:
    """Return the review status of each given state."""
    last = last_reviews(edition)
    soon = due_soon_until(today)
    return {s.control_id: review_status(s, last.get(s.control_id), today, soon)
            for s in states}


def first_due_for(state: ControlState, chosen: date | None, today: date) -> date | None:
    """A new cadence starts from the date the lead chose, else one cadence from today."""
    if state.review_cadence is ReviewCadence.NONE:
        return None
    return chosen or cadence_after(today, state.review_cadence)


def list_reviews(edition: str, control_id: str, limit: int = 20) -> list[Review]:
    """Return a control's latest reviews with reviewers and follow-ups loaded."""
    return list(db.session.scalars(_reviews_statement(), {
        "edition": edition, "control_id": control_id, "limit": limit}).unique())


@cache
def _reviews_statement():
    """Built once: every control page reads it (values are bound). The follow-ups and pinned
    versions come joined in the same statement (a handful per review): loading them with two
    more statements cost the page more in the ORM's machinery than the rows themselves."""
    return (select(Review).where(Review.edition == bindparam("edition"),
                                 Review.control_id == bindparam("control_id"))
            .options(joinedload(Review.reviewer),
                     joinedload(Review.follow_ups).joinedload(FollowUp.owner),
                     joinedload(Review.evidence_links))
            .order_by(Review.reviewed_on.desc(), Review.id.desc()).limit(bindparam("limit")))


@dataclass(frozen=True)
class NewFollowUp:
    title: str
    owner_id: int
    due_on: date


def record_review(state: ControlState, reviewer: User, *, reviewed_on: date,
                  outcome: ReviewOutcome, notes: str, version_ids, follow_ups, today: date,
                  corrects: Review | None = None, audit_actor: str) -> Review:
    """Record a review with its pinned evidence versions and follow-ups (caller commits)."""
    if reviewed_on > today:
        raise ReviewError("A review cannot be dated in the future.", "reviewed_on")
    if not notes.strip():
        raise ReviewError("Say what was checked.", "notes")
    review = Review(edition=state.edition, control_id=state.control_id,
                    reviewer_id=reviewer.id, reviewed_on=reviewed_on, outcome=outcome,
                    notes=notes.strip(), corrects_id=corrects.id if corrects else None)
    db.session.add(review)
    db.session.flush()
    for version_id in sorted(set(version_ids)):
        db.session.add(ReviewEvidence(review_id=review.id, evidence_version_id=version_id))
    for item in follow_ups:
        db.session.add(FollowUp(review_id=review.id, title=item.title, owner_id=item.owner_id,
                                due_on=item.due_on))
    db.session.flush()
    record_event("review.create", "control", f"{state.edition}:{state.control_id}",
                 actor=audit_actor, after={
        "review_id": review.id, "reviewed_on": reviewed_on, "outcome": outcome,
        "evidence_versions": sorted(set(version_ids)), "corrects": review.corrects_id,
        "follow_ups": [{"title": f.title, "owner_id": f.owner_id, "due_on": f.due_on}
                       for f in follow_ups]})
    return review


def may_edit_review(review: Review, user: User) -> bool:
    """The reviewer or the lead may edit a record during its first 24 hours."""
    fresh = utcnow() - review.created_at < EDIT_WINDOW
    return fresh and (user.id == review.reviewer_id or user.role is Role.LEAD)


def update_review(review: Review, user: User, *, outcome: ReviewOutcome, notes: str) -> None:
    """Change a fresh record's outcome and notes; older records need a correction."""
    if not may_edit_review(review, user):
        raise ReviewError("Records cannot be changed after 24 hours; record a correction.")
    if not notes.strip():
        raise ReviewError("Say what was checked.", "notes")
    before = {"outcome": review.outcome, "notes": review.notes}
    review.outcome, review.notes = outcome, notes.strip()
    record_event("review.update", "control", f"{review.edition}:{review.control_id}",
                 before=before, after={"review_id": review.id, "outcome": outcome,
                                       "notes": review.notes}, actor=str(user.id))


def complete_follow_up(follow_up: FollowUp, user: User, today: date) -> None:
    """Mark a follow-up done (its owner or the lead)."""
    if follow_up.done_on is not None:
        raise ReviewError("This follow-up is already done.")
    if user.id != follow_up.owner_id and user.role is not Role.LEAD:
        raise ReviewError("Only the follow-up's owner or the lead can close it.")
    follow_up.done_on, follow_up.done_by_id = today, user.id
    record_event("followup.done", "follow_up", follow_up.id,
                 after={"done_on": today, "title": follow_up.title}, actor=str(user.id))


def open_follow_ups(owner_id: int | None = None, due_by: date | None = None):
    """Return open follow-ups (of one owner, or due by a date), soonest first."""
    query = (select(FollowUp).where(FollowUp.done_on.is_(None))
             .options(joinedload(FollowUp.owner), joinedload(FollowUp.review))
             .order_by(FollowUp.due_on))
    if owner_id is not None:
        query = query.where(FollowUp.owner_id == owner_id)
    if due_by is not None:
        query = query.where(FollowUp.due_on <= due_by)
    return list(db.session.scalars(query))
