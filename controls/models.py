"""The organisation's decision on each Annex A control."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, ForeignKeyConstraint, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from isms.api import User, UTCDateTime, db, utcnow


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


def _enum(enum_cls, name):
    return db.Enum(enum_cls, name=name, native_enum=False, create_constraint=True, length=16,
                   values_callable=lambda e: [m.value for m in e])


class ControlState(db.Model):
    """Keyed by (edition, control id) so both editions' decisions can live side by side."""

    __tablename__ = "control_states"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    edition: Mapped[str] = mapped_column(String(4), nullable=False)
    control_id: Mapped[str] = mapped_column(String(16), nullable=False)
    # None until the lead decides: a fresh tracker has nothing decided.
    applicability: Mapped[Applicability | None] = mapped_column(
        _enum(Applicability, "applicability"))
    # Canonical, comma-separated subset of InclusionReason values, in enum order.
    inclusion_reasons: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    justification: Mapped[str] = mapped_column(Text, nullable=False, default="")
    implementation_status: Mapped[ImplementationStatus | None] = mapped_column(
        _enum(ImplementationStatus, "implementation_status"))
    responsibility: Mapped[Responsibility] = mapped_column(
        _enum(Responsibility, "responsibility"), nullable=False)
    company_part: Mapped[str] = mapped_column(Text, nullable=False, default="")
    aws_part: Mapped[str] = mapped_column(Text, nullable=False, default="")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    review_cadence: Mapped[ReviewCadence] = mapped_column(
        _enum(ReviewCadence, "review_cadence"), nullable=False, default=ReviewCadence.NONE)
    notes: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

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
        return [InclusionReason(r) for r in self.inclusion_reasons.split(",") if r]

    @reasons.setter
    def reasons(self, values) -> None:
        chosen = {InclusionReason(v) for v in values}
        self.inclusion_reasons = ",".join(r.value for r in InclusionReason if r in chosen)

    @property
    def is_implemented(self) -> bool:
        return self.implementation_status is ImplementationStatus.IMPLEMENTED
