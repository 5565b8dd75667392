"""The management system around the controls: clauses 4-10, risks, audits, reviews, findings."""

from datetime import date, datetime
from enum import StrEnum

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


class ClauseStatus(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    DONE = "done"


class ClauseState(db.Model):
    """Where one requirement of clauses 4-10 stands; created the first time it is edited."""

    __tablename__ = "clause_states"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    edition: Mapped[str] = mapped_column(String(4), nullable=False)
    clause_id: Mapped[str] = mapped_column(String(8), nullable=False)
    status: Mapped[ClauseStatus] = mapped_column(enum_column(ClauseStatus, "clause_status"),
                                                 nullable=False, default=ClauseStatus.NOT_STARTED)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    notes: Mapped[str] = mapped_column(Text, nullable=False, default="")
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    owner: Mapped[User | None] = relationship(lazy="raise")
    evidence: Mapped[list["ClauseEvidence"]] = relationship(
        back_populates="state", cascade="all, delete-orphan", lazy="raise")

    __table_args__ = (UniqueConstraint("edition", "clause_id"),)


class ClauseEvidence(db.Model):
    """An evidence item (known here only by id) that shows a clause requirement is met."""

    __tablename__ = "clause_evidence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    state_id: Mapped[int] = mapped_column(ForeignKey("clause_states.id"), nullable=False)
    evidence_item_id: Mapped[int] = mapped_column(ForeignKey("evidence_items.id"),
                                                  nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    state: Mapped[ClauseState] = relationship(back_populates="evidence", lazy="raise")

    __table_args__ = (UniqueConstraint("state_id", "evidence_item_id"),)


class Treatment(StrEnum):
    MODIFY = "modify"
    RETAIN = "retain"
    AVOID = "avoid"
    SHARE = "share"


class PlanStatus(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    DONE = "done"


class Risk(db.Model):
    """One line of the risk register, with its treatment and the risk owner's acceptance."""

    __tablename__ = "risks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(16), nullable=False, unique=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    asset: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    threat: Mapped[str] = mapped_column(Text, nullable=False, default="")
    vulnerability: Mapped[str] = mapped_column(Text, nullable=False, default="")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    likelihood: Mapped[int] = mapped_column(Integer, nullable=False)
    impact: Mapped[int] = mapped_column(Integer, nullable=False)
    treatment: Mapped[Treatment] = mapped_column(enum_column(Treatment, "risk_treatment"),
                                                 nullable=False)
    plan: Mapped[str] = mapped_column(Text, nullable=False, default="")
    plan_status: Mapped[PlanStatus] = mapped_column(
        enum_column(PlanStatus, "plan_status"), nullable=False, default=PlanStatus.NOT_STARTED)
    plan_due: Mapped[date | None] = mapped_column(Date)
    residual_likelihood: Mapped[int | None] = mapped_column(Integer)
    residual_impact: Mapped[int | None] = mapped_column(Integer)
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    accepted_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id], lazy="raise")
    accepted_by: Mapped[User | None] = relationship(foreign_keys=[accepted_by_id], lazy="raise")
    controls: Mapped[list["RiskControl"]] = relationship(
        back_populates="risk", cascade="all, delete-orphan", order_by="RiskControl.control_id",
        lazy="raise")

    @property
    def level(self) -> int:
        return self.likelihood * self.impact

    @property
    def residual_level(self) -> int | None:
        if self.residual_likelihood is None or self.residual_impact is None:
            return None
        return self.residual_likelihood * self.residual_impact


class RiskControl(db.Model):
    """A control that treats a risk, named by its catalog id."""

    __tablename__ = "risk_controls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    risk_id: Mapped[int] = mapped_column(ForeignKey("risks.id"), nullable=False)
    edition: Mapped[str] = mapped_column(String(4), nullable=False)
    control_id: Mapped[str] = mapped_column(String(16), nullable=False)

    risk: Mapped[Risk] = relationship(back_populates="controls", lazy="raise")

    __table_args__ = (
        UniqueConstraint("risk_id", "edition", "control_id"),
        ForeignKeyConstraint(["edition", "control_id"],
                             ["catalog_controls.edition", "catalog_controls.control_id"]),
        db.Index("ix_risk_controls_control", "edition", "control_id"),
    )


class AuditStatus(StrEnum):
    PLANNED = "planned"
    DONE = "done"
    CANCELLED = "cancelled"


class InternalAudit(db.Model):
    """An audit of the programme (9.2): planned with its scope, then recorded when done."""

    __tablename__ = "internal_audits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    # Clause and control ids, canonical and comma-separated ("6.1.2, A.9.2.1").
    scope: Mapped[str] = mapped_column(Text, nullable=False)
    auditor: Mapped[str] = mapped_column(String(200), nullable=False)
    planned_on: Mapped[date] = mapped_column(Date, nullable=False)
    performed_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[AuditStatus] = mapped_column(enum_column(AuditStatus, "audit_status"),
                                                nullable=False, default=AuditStatus.PLANNED)
    summary: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class InputState(StrEnum):
    DISCUSSED = "discussed"
    NOTHING_TO_REPORT = "nothing_to_report"
    NOT_DISCUSSED = "not_discussed"


class ManagementReview(db.Model):
    """A management review meeting (9.3): inputs, attendees, decisions."""

    __tablename__ = "management_reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    held_on: Mapped[date] = mapped_column(Date, nullable=False)
    attendees: Mapped[str] = mapped_column(Text, nullable=False)
    decisions: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    inputs: Mapped[list["ReviewInput"]] = relationship(
        back_populates="review", cascade="all, delete-orphan", order_by="ReviewInput.position",
        lazy="raise")


class ReviewInput(db.Model):
    """One input clause 9.3 asks for, and whether the meeting covered it."""

    __tablename__ = "management_review_inputs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("management_reviews.id"), nullable=False)
    key: Mapped[str] = mapped_column(String(32), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    state: Mapped[InputState] = mapped_column(enum_column(InputState, "review_input_state", 24),
                                              nullable=False)
    notes: Mapped[str] = mapped_column(Text, nullable=False, default="")

    review: Mapped[ManagementReview] = relationship(back_populates="inputs", lazy="raise")

    __table_args__ = (UniqueConstraint("review_id", "key"),)


class FindingType(StrEnum):
    MAJOR_NC = "major_nc"
    MINOR_NC = "minor_nc"
    OBSERVATION = "observation"
    OPPORTUNITY = "opportunity"


class FindingSource(StrEnum):
    INTERNAL_AUDIT = "internal_audit"
    CERTIFICATION_AUDIT = "certification_audit"
    MANAGEMENT_REVIEW = "management_review"
    INCIDENT = "incident"
    SELF_IDENTIFIED = "self_identified"


class FindingStatus(StrEnum):
    OPEN = "open"
    ACTION_PLANNED = "action_planned"
    AWAITING_VERIFICATION = "awaiting_verification"
    CLOSED = "closed"


class Finding(db.Model):
    """A nonconformity, observation or opportunity, and how it was corrected (10.1/10.2)."""

    __tablename__ = "findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(16), nullable=False, unique=True)
    type: Mapped[FindingType] = mapped_column(enum_column(FindingType, "finding_type"),
                                              nullable=False)
    source: Mapped[FindingSource] = mapped_column(
        enum_column(FindingSource, "finding_source", 24), nullable=False)
    # The certification auditor's own reference, or the incident number.
    source_ref: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    audit_id: Mapped[int | None] = mapped_column(ForeignKey("internal_audits.id"), index=True)
    review_id: Mapped[int | None] = mapped_column(ForeignKey("management_reviews.id"))
    # Clause and control ids, canonical and comma-separated.
    refs: Mapped[str] = mapped_column(Text, nullable=False, default="")
    description: Mapped[str] = mapped_column(Text, nullable=False)
    root_cause: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status: Mapped[FindingStatus] = mapped_column(
        enum_column(FindingStatus, "finding_status", 24), nullable=False,
        default=FindingStatus.OPEN)
    raised_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    raised_on: Mapped[date] = mapped_column(Date, nullable=False)
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    verified_on: Mapped[date | None] = mapped_column(Date)
    verification: Mapped[str] = mapped_column(Text, nullable=False, default="")
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    raised_by: Mapped[User] = relationship(foreign_keys=[raised_by_id], lazy="raise")
    verified_by: Mapped[User | None] = relationship(foreign_keys=[verified_by_id], lazy="raise")
    audit: Mapped[InternalAudit | None] = relationship(lazy="raise")
    actions: Mapped[list["Action"]] = relationship(
        back_populates="finding", order_by="Action.id", lazy="raise")

    @property
    def ref_list(self) -> list[str]:
        return [r for r in self.refs.split(", ") if r]


class Action(db.Model):
    """A corrective action of a finding, or an action decided by a management review."""

    __tablename__ = "management_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    finding_id: Mapped[int | None] = mapped_column(ForeignKey("findings.id"), index=True)
    review_id: Mapped[int | None] = mapped_column(ForeignKey("management_reviews.id"),
                                                  index=True)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    due_on: Mapped[date] = mapped_column(Date, nullable=False)
    done_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    owner: Mapped[User] = relationship(lazy="raise")
    finding: Mapped[Finding | None] = relationship(back_populates="actions", lazy="raise")
    review: Mapped[ManagementReview | None] = relationship(lazy="raise")
