"""AWS connections, collection runs and each check's result; credentials never live here."""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from isms.api import UTCDateTime, db, utcnow


class AwsConnection(db.Model):
    """One account to read: how to authenticate is named, never stored as a key."""

    __tablename__ = "aws_connections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    account_id: Mapped[str] = mapped_column(String(12), nullable=False)
    # Comma-separated region names, the first one used for global services.
    regions: Mapped[str] = mapped_column(String(500), nullable=False)
    profile: Mapped[str] = mapped_column(String(128), nullable=False, default="")
    role_arn: Mapped[str] = mapped_column(String(2048), nullable=False, default="")
    external_id: Mapped[str] = mapped_column(String(1224), nullable=False, default="")
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    is_enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    @property
    def region_list(self) -> list[str]:
        return [r for r in self.regions.split(",") if r]


class AwsRun(db.Model):
    """One collection over one connection."""

    __tablename__ = "aws_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("aws_connections.id"), nullable=False,
                                               index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # ok, partial (some checks errored) or error (nothing could be read).
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="running")
    message: Mapped[str] = mapped_column(Text, nullable=False, default="")
    trigger: Mapped[str] = mapped_column(String(16), nullable=False, default="cli")

    connection: Mapped[AwsConnection] = relationship(lazy="raise")


class AwsCheckResult(db.Model):
    """A check's verdict in one run, with the evidence version holding its snapshot."""

    __tablename__ = "aws_check_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("aws_runs.id"), nullable=False, index=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("aws_connections.id"), nullable=False)
    check_id: Mapped[str] = mapped_column(String(64), nullable=False)
    verdict: Mapped[str] = mapped_column(String(16), nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    evidence_version_id: Mapped[int | None] = mapped_column(ForeignKey("evidence_versions.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (db.Index("ix_aws_check_results_check", "connection_id", "check_id"),)


class AwsCheck(db.Model):
    """Where a connection's check stands: its evidence item and its latest result."""

    __tablename__ = "aws_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("aws_connections.id"), nullable=False)
    check_id: Mapped[str] = mapped_column(String(64), nullable=False)
    evidence_item_id: Mapped[int | None] = mapped_column(ForeignKey("evidence_items.id"))
    last_result_id: Mapped[int | None] = mapped_column(ForeignKey("aws_check_results.id"))
    # Copied from the latest result so the failing-check query needs no join.
    verdict: Mapped[str] = mapped_column(String(16), nullable=False)

    connection: Mapped[AwsConnection] = relationship(lazy="raise")
    last_result: Mapped[AwsCheckResult | None] = relationship(lazy="raise")

    __table_args__ = (UniqueConstraint("connection_id", "check_id"),)
