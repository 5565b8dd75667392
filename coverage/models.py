"""How unmapped framework requirements are met, and the verdicts the last digest saw."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from isms.api import User, UTCDateTime, db, enum_column, utcnow


class RecordStatus(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    DONE = "done"


class RequirementRecord(db.Model):
    """How the organisation meets a requirement the mapping leaves without an ISO counterpart."""

    __tablename__ = "requirement_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    framework: Mapped[str] = mapped_column(String(32), nullable=False)
    requirement_id: Mapped[str] = mapped_column(String(32), nullable=False)
    status: Mapped[RecordStatus] = mapped_column(enum_column(RecordStatus, "record_status"),
                                                 nullable=False, default=RecordStatus.NOT_STARTED)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    notes: Mapped[str] = mapped_column(Text, nullable=False, default="")
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    owner: Mapped[User | None] = relationship(lazy="raise")

    __table_args__ = (UniqueConstraint("framework", "requirement_id"),)


class RequirementEvidence(db.Model):
    """An evidence item (known here only by id) that shows an unmapped requirement is met."""

    __tablename__ = "requirement_evidence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("requirement_records.id"), nullable=False)
    evidence_item_id: Mapped[int] = mapped_column(ForeignKey("evidence_items.id"),
                                                  nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (UniqueConstraint("record_id", "evidence_item_id"),)


class CoverageSnapshot(db.Model):
    """Each leaf's verdict as a digest saw it, so the next one can say what dropped."""

    __tablename__ = "coverage_snapshots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    framework: Mapped[str] = mapped_column(String(32), nullable=False)
    taken_on: Mapped[date] = mapped_column(Date, nullable=False)  # the organisation's date
    verdicts: Mapped[dict] = mapped_column(JSON, nullable=False)  # requirement id -> verdict
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (UniqueConstraint("framework", "taken_on"),)
