"""What the packages above controls (the SoA, coverage, the REST API) may ask of it.

Decisions leave this package as frozen `Decision` values; changes come back in through
`apply_decision` and `create_decisions`, which audit them like the edit form does.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from controls.api_records import (
    ControlRecord,
    ControlSummary,
    DecisionError,
    NotAllowed,
    ReviewRecord,
    Stale,
    add_review,
    decide,
    get_control,
    list_controls,
    reviews_in_edition,
    reviews_of,
)
from controls.models import (
    Applicability,
    ControlState,
    ImplementationStatus,
    InclusionReason,
    Responsibility,
    ReviewCadence,
    parse_reasons,
)
from controls.reviews import add_months, last_reviews
from controls.services import (
    ControlRow,
    all_states,
    list_control_rows,
    risk_refs_text,
    update_control,
)
from evidence.api import status_by_control
from isms.api import User, db, get_edition, record_event

__all__ = [
    "Applicability",
    "ControlRecord",
    "ControlStanding",
    "ControlSummary",
    "Decision",
    "DecisionCore",
    "DecisionError",
    "DigestProvider",
    "DigestSection",
    "ImplementationStatus",
    "InclusionReason",
    "NotAllowed",
    "Responsibility",
    "ReviewCadence",
    "ReviewRecord",
    "Stale",
    "add_months",
    "add_review",
    "apply_decision",
    "create_decisions",
    "decide",
    "get_control",
    "has_decisions",
    "list_control_standings",
    "list_controls",
    "list_decision_cores",
    "list_decisions",
    "register_digest_section",
    "reviews_in_edition",
    "reviews_of",
]


@dataclass(frozen=True)
class Decision:
    """One control's decision as the SoA and the other readers above controls see it."""

    edition: str
    control_id: str
    group_id: str
    group_title: str
    title: str
    position: int
    applicability: Applicability | None
    reasons: tuple[InclusionReason, ...]
    justification: str
    implementation_status: ImplementationStatus | None
    responsibility: Responsibility
    company_part: str
    aws_part: str
    risk_refs: str  # linked register ids first, then any other words the field holds
    written_risk_refs: str  # the field as the lead wrote it
    owner_id: int | None
    owner_name: str
    notes: str
    evidence: str  # current, expiring, expired or none
    review_cadence: ReviewCadence
    first_review_on: date | None
    last_reviewed_on: date | None
    next_review_on: date | None


def _decision(row: ControlRow) -> Decision:
    state, item, review = row.state, row.item, row.review
    return Decision(
        state.edition, item.control_id, item.group_id, item.group_title, item.title,
        item.position, state.applicability, tuple(state.reasons), state.justification,
        state.implementation_status, state.responsibility, state.company_part,
        state.aws_part, risk_refs_text(row), state.risk_refs, state.owner_id,
        state.owner.display_name if state.owner else "", state.notes, row.evidence,
        state.review_cadence, state.first_review_on,
        review.last_reviewed_on if review else None, review.next_due if review else None)


def list_decisions(edition: str) -> list[Decision]:
    """Every control of the edition that has a state, in catalog order (a fixed few queries)."""
    return [_decision(row) for row in list_control_rows(edition)]


@dataclass(frozen=True)
class DecisionCore:
    """The decision fields alone, for checks that read no evidence, risk or review."""

    control_id: str
    applicability: Applicability | None
    reasons: tuple[InclusionReason, ...]
    justification: str
    implementation_status: ImplementationStatus | None


def list_decision_cores(edition: str) -> list[DecisionCore]:
    """Every control of the edition that has a state, in catalog order, in one query."""
    catalog = get_edition(edition)
    found = {state.control_id: DecisionCore(
        state.control_id, state.applicability, parse_reasons(state.inclusion_reasons),
        state.justification, state.implementation_status) for state in all_states(edition)}
    return [found[item.control_id] for item in catalog.items if item.control_id in found]


@dataclass(frozen=True)
class ControlStanding:
    """What a coverage verdict needs of one control: its decision, evidence and owner."""

    control_id: str
    title: str
    applicability: Applicability | None
    implementation_status: ImplementationStatus | None
    evidence: str  # current, expiring, expired or none
    owner_name: str
    last_reviewed_on: date | None


def list_control_standings(edition: str) -> dict[str, ControlStanding]:
    """Every control of the edition that has a state, by id in catalog order (three queries;
    no risks, review cadence or ORM objects, unlike `list_decisions`)."""
    evidence = status_by_control(edition)
    reviewed = last_reviews(edition)
    states = {row[0]: row[1:] for row in db.session.execute(
        select(ControlState.control_id, ControlState.applicability,
               ControlState.implementation_status, User.name, User.email)
        .outerjoin(User, User.id == ControlState.owner_id)
        .where(ControlState.edition == edition))}
    found = {}
    for item in get_edition(edition).items:
        if item.control_id in states:
            applicability, status, name, email = states[item.control_id]
            found[item.control_id] = ControlStanding(
                item.control_id, item.title, applicability, status,
                evidence.get(item.control_id, "none"), name or email or "",
                reviewed.get(item.control_id))
    return found


def has_decisions(edition: str) -> bool:
    """Whether any control state of the edition exists."""
    return db.session.scalar(
        select(ControlState.id).filter_by(edition=edition).limit(1)) is not None


def apply_decision(edition: str, control_id: str, values: dict, actor: User | None,
                   audit_actor: str | None = None) -> list[str]:
    """Change one control's decision as the edit form would; return warnings for the user."""
    state = _state(edition, control_id)
    if state is None:
        raise LookupError(f"{control_id} has no decision record in the {edition} edition.")
    return update_control(state, values, actor, audit_actor=audit_actor)


def create_decisions(edition: str, states: list[dict], *, audit_actor: str,
                     action: str = "control.transition") -> None:
    """Add a state per dict (model field names, plus `sources` for the audit event)."""
    for values in states:
        fields = {k: v for k, v in values.items() if k != "sources"}
        db.session.add(ControlState(edition=edition, **fields))
        record_event(action, "control", f"{edition}:{values['control_id']}",
                     actor=audit_actor, after={"from": values.get("sources", []), **{
                         k: v for k, v in fields.items() if k != "control_id"}})
    db.session.flush()


def _state(edition: str, control_id: str) -> ControlState | None:
    return db.session.scalars(
        select(ControlState).where(ControlState.edition == edition,
                                   ControlState.control_id == control_id)
        .options(joinedload(ControlState.owner))).one_or_none()


@dataclass(frozen=True)
class DigestSection:
    """A few lines a package further up adds to one person's daily digest."""

    title: str
    lines: tuple[str, ...]
    link: str = ""  # a path on this site, such as /frameworks/nis2


DigestProvider = Callable[[str, date], dict[int, list[DigestSection]]]


def register_digest_section(app, provider: DigestProvider) -> None:
    """Add a provider, called with (edition, local date), of digest sections per user id."""
    app.extensions.setdefault("controls.digest_sections", []).append(provider)
