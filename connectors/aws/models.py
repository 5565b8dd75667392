"""AWS connections, collection runs, their accounts and slices, each check's result.

Credentials never live here. A run is split into slices, one per account and region, each one
job on the queue; a slice's partial results wait in its row until the account's last slice
merges them into one verdict per check and account.
"""

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
    # "account", or "organization": account_id is then the management (or delegated
    # administrator) account, and each member is reached through role_name.
    kind: Mapped[str] = mapped_column(String(16), nullable=False, default="account",
                                      server_default="account")
    role_name: Mapped[str] = mapped_column(String(64), nullable=False, default="",
                                           server_default="")
    # Comma-separated account ids or OU ids (ou-...), empty for all.
    include_ids: Mapped[str] = mapped_column(Text, nullable=False, default="", server_default="")
    exclude_ids: Mapped[str] = mapped_column(Text, nullable=False, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    @property
    def region_list(self) -> list[str]:
        return [r for r in self.regions.split(",") if r]

    @property
    def is_organization(self) -> bool:
        return self.kind == "organization"


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
    # Who started it, as the audit log names actors: a user id, or system:aws-collect.
    actor: Mapped[str] = mapped_column(String(254), nullable=False, default="",
                                       server_default="")

    connection: Mapped[AwsConnection] = relationship(lazy="raise")

    @property
    def is_running(self) -> bool:
        return self.status == "running"


class AwsRunAccount(db.Model):
    """One account of a run: its outcome once every region of it is collected."""

    __tablename__ = "aws_run_accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("aws_runs.id"), nullable=False, index=True)
    account_id: Mapped[str] = mapped_column(String(12), nullable=False)
    account_name: Mapped[str] = mapped_column(String(128), nullable=False, default="")
    # collecting, then ok, partial (some checks errored) or error (nothing could be read).
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="collecting")
    checks: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    failed: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    errors: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    message: Mapped[str] = mapped_column(Text, nullable=False, default="")
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("run_id", "account_id"),)


class AwsRunSlice(db.Model):
    """One account and region of a run: one job on the queue."""

    __tablename__ = "aws_run_slices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("aws_runs.id"), nullable=False, index=True)
    run_account_id: Mapped[int] = mapped_column(ForeignKey("aws_run_accounts.id"),
                                                nullable=False, index=True)
    region: Mapped[str] = mapped_column(String(32), nullable=False)
    # The account's first region also runs the account-wide checks (IAM, S3, CloudTrail).
    is_primary: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # pending, running, done.
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    checks_total: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    checks_done: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # {check_id: {"verdict", "reason", "data"}} until the account's results are merged.
    results: Mapped[str] = mapped_column(Text, nullable=False, default="")
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AwsCheckResult(db.Model):
    """A check's verdict in one run, with the evidence version holding its snapshot."""

    __tablename__ = "aws_check_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("aws_runs.id"), nullable=False, index=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("aws_connections.id"), nullable=False)
    account_id: Mapped[str] = mapped_column(String(12), nullable=False, server_default="")
    check_id: Mapped[str] = mapped_column(String(64), nullable=False)
    verdict: Mapped[str] = mapped_column(String(16), nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    evidence_version_id: Mapped[int | None] = mapped_column(ForeignKey("evidence_versions.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (db.Index("ix_aws_check_results_check", "connection_id", "account_id",
                               "check_id"),)


class AwsCheck(db.Model):
    """Where a connection's check stands: its evidence item and its latest result."""

    __tablename__ = "aws_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("aws_connections.id"), nullable=False)
    account_id: Mapped[str] = mapped_column(String(12), nullable=False, server_default="")
    check_id: Mapped[str] = mapped_column(String(64), nullable=False)
    evidence_item_id: Mapped[int | None] = mapped_column(ForeignKey("evidence_items.id"))
    last_result_id: Mapped[int | None] = mapped_column(ForeignKey("aws_check_results.id"))
    # Copied from the latest result so the failing-check query needs no join.
    verdict: Mapped[str] = mapped_column(String(16), nullable=False)

    connection: Mapped[AwsConnection] = relationship(lazy="raise")
    last_result: Mapped[AwsCheckResult | None] = relationship(lazy="raise")

    __table_args__ = (UniqueConstraint("connection_id", "account_id", "check_id"),)


class AwsFindingCheck(db.Model):
    """One tool's check in one account, imported from findings: where its evidence lives."""

    __tablename__ = "aws_finding_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(16), nullable=False)  # prowler-ocsf or asff
    check_id: Mapped[str] = mapped_column(String(256), nullable=False)
    account_id: Mapped[str] = mapped_column(String(12), nullable=False)
    title: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    # fail when any finding failed, else pass, else what was found (manual, warning ...).
    verdict: Mapped[str] = mapped_column(String(16), nullable=False)
    evidence_item_id: Mapped[int | None] = mapped_column(ForeignKey("evidence_items.id"))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (UniqueConstraint("source", "check_id", "account_id"),)
