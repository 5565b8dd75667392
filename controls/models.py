"""The organisation's decision on each Annex A control."""

from datetime import date, datetime
from enum import StrEnum
from functools import lru_cache

from sqlalchemy import (
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from isms.api import User, UTCDateTime, db, enum_column, utcnow


class Applicability(StrEnum):
    APPLICABLE = "applicable"
    EXCLUDED = "excluded"


class ImplementationStatus(StrEnum):
    NOT_STARTED = "not_started"
    PLANNED = "planned"
    PARTIAL = "partial"
    IMPLEMENTED = "implemented"


class Responsibility(StrEnum):
    COMPANY = "company"
    AWS = "aws"
    SHARED = "shared"


class ReviewCadence(StrEnum):
    NONE = "none"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    HALF_YEARLY = "half_yearly"
    YEARLY = "yearly"


class InclusionReason(StrEnum):
    LEGAL = "legal"
    CONTRACTUAL = "contractual"
    BUSINESS = "business"
    RISK = "risk"


@lru_cache(maxsize=64)  # a stored value is one of the few subsets of four reasons
def parse_reasons(stored: str) -> tuple[InclusionReason, ...]:
    """The reasons of a stored `inclusion_reasons` value ("business,risk")."""
    return tuple(InclusionReason(r) for r in stored.split(",") if r)


class ControlState(db.Model):
    """Keyed by (edition, control id) so both editions' decisions can live side by side."""

    __tablename__ = "control_states"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    edition: Mapped[str] = mapped_column(String(4), nullable=False)
    control_id: Mapped[str] = mapped_column(String(16), nullable=False)
    # None until the lead decides: a fresh tracker has nothing decided.
    applicability: Mapped[Applicability | None] = mapped_column(
        enum_column(Applicability, "applicability"))
    # Canonical, comma-separated subset of InclusionReason values, in enum order.
    inclusion_reasons: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    justification: Mapped[str] = mapped_column(Text, nullable=False, default="")
    implementation_status: Mapped[ImplementationStatus | None] = mapped_column(
        enum_column(ImplementationStatus, "implementation_status"))
    responsibility: Mapped[Responsibility] = mapped_column(
        enum_column(Responsibility, "responsibility"), nullable=False)
    company_part: Mapped[str] = mapped_column(Text, nullable=False, default="")
    aws_part: Mapped[str] = mapped_column(Text, nullable=False, default="")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    review_cadence: Mapped[ReviewCadence] = mapped_column(
        enum_column(ReviewCadence, "review_cadence"), nullable=False, default=ReviewCadence.NONE)
    # When a never-reviewed control first falls due; afterwards: last review + cadence.
    first_review_on: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # Risk register ids this control treats, as the lead writes them ("R-012, R-031").
    risk_refs: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # After the transition: the differing 2013 decisions this control was merged from, shown
    # side by side until the lead decides ([{"control_id", "applicability", ...}, ...]).
    transition_sources: Mapped[list | None] = mapped_column(db.JSON)

    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id], lazy="raise")

    __table_args__ = (
        UniqueConstraint("edition", "control_id"),
        ForeignKeyConstraint(
            ["edition", "control_id"],
            ["catalog_controls.edition", "catalog_controls.control_id"],
        ),
    )

    @property
    def reasons(self) -> list[InclusionReason]:
        return list(parse_reasons(self.inclusion_reasons))

    @reasons.setter
    def reasons(self, values) -> None:
        chosen = {InclusionReason(v) for v in values}
        self.inclusion_reasons = ",".join(r.value for r in InclusionReason if r in chosen)

    @property
    def is_implemented(self) -> bool:
        return self.implementation_status is ImplementationStatus.IMPLEMENTED


class ReviewOutcome(StrEnum):
    EFFECTIVE = "effective"
    NEEDS_IMPROVEMENT = "needs_improvement"
    NOT_EFFECTIVE = "not_effective"


class Review(db.Model):
    """A recorded review of one control; editable for 24 hours, then corrected by a new one."""

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    edition: Mapped[str] = mapped_column(String(4), nullable=False)
    control_id: Mapped[str] = mapped_column(String(16), nullable=False)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    reviewed_on: Mapped[date] = mapped_column(Date, nullable=False)
    outcome: Mapped[ReviewOutcome] = mapped_column(enum_column(ReviewOutcome, "review_outcome", 24),
                                                   nullable=False)
    notes: Mapped[str] = mapped_column(Text, nullable=False)
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("reviews.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    reviewer: Mapped[User] = relationship(foreign_keys=[reviewer_id], lazy="raise")
    follow_ups: Mapped[list["FollowUp"]] = relationship(
        back_populates="review", order_by="FollowUp.due_on", lazy="raise")
    evidence_links: Mapped[list["ReviewEvidence"]] = relationship(lazy="raise")

    __table_args__ = (
        ForeignKeyConstraint(["edition", "control_id"],
                             ["catalog_controls.edition", "catalog_controls.control_id"]),
        db.Index("ix_reviews_control", "edition", "control_id", "reviewed_on"),
    )


class ReviewEvidence(db.Model):
    """An evidence version the reviewer looked at, pinned so later uploads do not change it."""

    __tablename__ = "review_evidence"

    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), primary_key=True)
    evidence_version_id: Mapped[int] = mapped_column(ForeignKey("evidence_versions.id"),
                                                     primary_key=True)


class FollowUp(db.Model):
    __tablename__ = "follow_ups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    due_on: Mapped[date] = mapped_column(Date, nullable=False)
    done_on: Mapped[date | None] = mapped_column(Date)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    review: Mapped[Review] = relationship(back_populates="follow_ups", lazy="raise")
    owner: Mapped[User] = relationship(foreign_keys=[owner_id], lazy="raise")


class DigestClaim(db.Model):
    """One row per person and local day: claimed before sending, marked once sent."""

    __tablename__ = "digest_claims"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    local_date: Mapped[date] = mapped_column(Date, nullable=False)
    message_id: Mapped[str] = mapped_column(String(255), nullable=False)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("user_id", "local_date"),)


class OverdueNotice(db.Model):
    """Remembers that a review or follow-up was seen overdue, so the job audits it once."""

    __tablename__ = "overdue_notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject: Mapped[str] = mapped_column(String(64), nullable=False)  # review:2013:A.9.1.1
    due_on: Mapped[date] = mapped_column(Date, nullable=False)
    noticed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (UniqueConstraint("subject", "due_on"),)


class RequestStatus(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class EvidenceRequest(db.Model):
    """An auditor's request for evidence on one control ("provided by client" list)."""

    __tablename__ = "evidence_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    edition: Mapped[str] = mapped_column(String(4), nullable=False)
    control_id: Mapped[str] = mapped_column(String(16), nullable=False)
    auditor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    due_on: Mapped[date] = mapped_column(Date, nullable=False)
    status: Mapped[RequestStatus] = mapped_column(enum_column(RequestStatus, "request_status"),
                                                  nullable=False, default=RequestStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    answer: Mapped[str] = mapped_column(Text, nullable=False, default="")
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_comment: Mapped[str] = mapped_column(Text, nullable=False, default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Ids of the evidence items given in answer (evidence is known here only by id).
    evidence_item_ids: Mapped[list] = mapped_column(db.JSON, nullable=False, default=list)

    auditor: Mapped[User] = relationship(foreign_keys=[auditor_id], lazy="raise")
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id], lazy="raise")

    __table_args__ = (
        ForeignKeyConstraint(["edition", "control_id"],
                             ["catalog_controls.edition", "catalog_controls.control_id"]),
    )


class ProposalStatus(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"


class ControlProposal(db.Model):
    """An owner's proposed change to a decision the lead takes (applicability and the like)."""

    __tablename__ = "control_proposals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    edition: Mapped[str] = mapped_column(String(4), nullable=False)
    control_id: Mapped[str] = mapped_column(String(16), nullable=False)
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    # field -> value, as the audit log stores them (enum values, comma-joined reasons)
    current: Mapped[dict] = mapped_column(db.JSON, nullable=False)
    proposed: Mapped[dict] = mapped_column(db.JSON, nullable=False)
    status: Mapped[ProposalStatus] = mapped_column(
        enum_column(ProposalStatus, "proposal_status", 16), nullable=False,
        default=ProposalStatus.OPEN)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_comment: Mapped[str] = mapped_column(Text, nullable=False, default="")

    proposed_by: Mapped[User] = relationship(foreign_keys=[proposed_by_id], lazy="raise")
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id], lazy="raise")

    __table_args__ = (
        ForeignKeyConstraint(["edition", "control_id"],
                             ["catalog_controls.edition", "catalog_controls.control_id"]),
        db.Index("ix_control_proposals_status", "status", "edition", "control_id"),
    )


STATE_COLUMNS = tuple(c.name for c in ControlState.__table__.columns)


class OwnerView:
    """The owner of a control as a list shows it."""

    __slots__ = ("email", "id", "name")

    def __init__(self, id: int, name: str | None, email: str):
        self.id, self.name, self.email = id, name, email

    @property
    def display_name(self) -> str:
        return self.name or self.email


class StateView:
    """A control state read for display: the same attributes as `ControlState`, none of the
    ORM's bookkeeping. Lists of all controls read these; changes go through the model."""

    __slots__ = (*STATE_COLUMNS, "owner")

    def __init__(self, values, owner: OwnerView | None):
        for name, value in zip(STATE_COLUMNS, values, strict=True):
            setattr(self, name, value)
        self.owner = owner

    reasons = property(ControlState.reasons.fget)
    is_implemented = property(ControlState.is_implemented.fget)
