"""Issued versions of the Statement of Applicability."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from isms.api import User, UTCDateTime, db, enum_column, utcnow


class SoaStatus(StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    WITHDRAWN = "withdrawn"


class SoaVersion(db.Model):
    """An issued Statement of Applicability: frozen decisions, approval, workbook and hash."""

    __tablename__ = "soa_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[int] = mapped_column(Integer, nullable=False, unique=True)
    edition: Mapped[str] = mapped_column(String(4), nullable=False)
    status: Mapped[SoaStatus] = mapped_column(enum_column(SoaStatus, "soa_status"), nullable=False)
    change_summary: Mapped[str] = mapped_column(Text, nullable=False)
    # The decision columns of every control at submission, for approval checks and diffs.
    snapshot: Mapped[dict] = mapped_column(db.JSON, nullable=False)
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approver_title: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    workbook: Mapped[bytes | None] = mapped_column(db.LargeBinary)
    sha256: Mapped[str | None] = mapped_column(String(64))
    previous_sha256: Mapped[str | None] = mapped_column(String(64))
    # Document control as it stood at approval (Settings may change later).
    document_id: Mapped[str | None] = mapped_column(String(60))
    classification: Mapped[str | None] = mapped_column(String(60))
    next_review_on: Mapped[date | None] = mapped_column(Date)

    submitted_by: Mapped[User] = relationship(foreign_keys=[submitted_by_id], lazy="raise")
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id], lazy="raise")


class ImportMapping(db.Model):
    """A named way of reading someone's SoA workbook: sheet, header row, columns, words."""

    __tablename__ = "soa_import_mappings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    # Options.to_dict(): {"sheet", "header_row", "assign": [[field, column]], "values"}
    settings: Mapped[dict] = mapped_column(db.JSON, nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
