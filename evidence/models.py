"""Evidence items, their immutable versions, control links and purge records."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from isms.api import User, UTCDateTime, db, enum_column, utcnow


class EvidenceKind(StrEnum):
    FILE = "file"
    LINK = "link"
    STATEMENT = "statement"
    THIRD_PARTY_REPORT = "third_party_report"

    @property
    def has_file(self) -> bool:
        return self in (EvidenceKind.FILE, EvidenceKind.THIRD_PARTY_REPORT)


class PurgeStatus(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"


class EvidenceItem(db.Model):
    __tablename__ = "evidence_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    kind: Mapped[EvidenceKind] = mapped_column(enum_column(EvidenceKind, "evidence_kind", 24),
                                               nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    # Canonical: lower-case, sorted, comma-separated.
    tags: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Kept in step with the newest version so status queries need one join, not a subquery.
    latest_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("evidence_versions.id", use_alter=True))
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    delete_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # Third-party reports: who issued what, for which period; 'aws' when inherited from AWS.
    inherited_from: Mapped[str | None] = mapped_column(String(16), index=True)
    issuer: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    report_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    period_from: Mapped[date | None] = mapped_column(Date)
    period_to: Mapped[date | None] = mapped_column(Date)

    owner: Mapped[User] = relationship(foreign_keys=[owner_id], lazy="raise")
    deleted_by: Mapped[User | None] = relationship(foreign_keys=[deleted_by_id], lazy="raise")
    latest_version: Mapped["EvidenceVersion | None"] = relationship(
        foreign_keys=[latest_version_id], post_update=True, lazy="raise")
    versions: Mapped[list["EvidenceVersion"]] = relationship(
        back_populates="item", foreign_keys="EvidenceVersion.item_id",
        order_by="EvidenceVersion.number.desc()", lazy="raise")
    links: Mapped[list["EvidenceLink"]] = relationship(
        back_populates="item", order_by="EvidenceLink.control_id", lazy="raise",
        cascade="all, delete-orphan")

    # Deleted items are few: this small index lets "live links only" be an anti-join against
    # it instead of a probe of every linked item.
    __table_args__ = (
        db.Index("ix_evidence_items_deleted", "id", postgresql_where=deleted_at.is_not(None),
                 sqlite_where=deleted_at.is_not(None)),
    )

    @property
    def tag_list(self) -> list[str]:
        return [t for t in self.tags.split(",") if t]

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class EvidenceVersion(db.Model):
    """Immutable once written; only a purge may mark it, and it then keeps just the hash."""

    __tablename__ = "evidence_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("evidence_items.id"), nullable=False)
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    # The URL of a link or the text of a statement; files live in storage.
    text_content: Mapped[str | None] = mapped_column(Text)
    file_name: Mapped[str | None] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(127), nullable=False)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    storage_key: Mapped[str | None] = mapped_column(String(64))
    storage_backend: Mapped[str | None] = mapped_column(String(16))
    collected_on: Mapped[date] = mapped_column(Date, nullable=False)
    valid_until: Mapped[date | None] = mapped_column(Date)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    comment: Mapped[str] = mapped_column(Text, nullable=False, default="")
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    item: Mapped[EvidenceItem] = relationship(back_populates="versions", foreign_keys=[item_id],
                                              lazy="raise")
    uploaded_by: Mapped[User | None] = relationship(foreign_keys=[uploaded_by_id], lazy="raise")

    __table_args__ = (UniqueConstraint("item_id", "number"),)

    @property
    def is_purged(self) -> bool:
        return self.purged_at is not None


@event.listens_for(EvidenceVersion, "before_update")
def _versions_are_immutable(_mapper, _connection, version: EvidenceVersion) -> None:
    changed = {a.key for a in inspect(version).attrs if a.history.has_changes()}
    if changed - {"purged_at", "text_content"} or (
            "text_content" in changed and version.purged_at is None):
        raise ValueError(f"evidence versions are immutable (tried to change {sorted(changed)})")


class EvidenceLink(db.Model):
    """Evidence serves a control of either edition, named by its catalog id."""

    __tablename__ = "evidence_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("evidence_items.id"), nullable=False)
    edition: Mapped[str] = mapped_column(String(4), nullable=False)
    control_id: Mapped[str] = mapped_column(String(16), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    item: Mapped[EvidenceItem] = relationship(back_populates="links", lazy="raise")

    __table_args__ = (
        UniqueConstraint("item_id", "edition", "control_id"),
        ForeignKeyConstraint(["edition", "control_id"],
                             ["catalog_controls.edition", "catalog_controls.control_id"]),
        # With the item id last, a control's newest items come straight off the index.
        db.Index("ix_evidence_links_control", "edition", "control_id", "item_id"),
    )


class EvidencePurge(db.Model):
    """A request to destroy a blob, approved by a second person; afterwards the tombstone."""

    __tablename__ = "evidence_purges"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("evidence_versions.id"), nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[PurgeStatus] = mapped_column(enum_column(PurgeStatus, "purge_status", 24),
                                                nullable=False, default=PurgeStatus.REQUESTED)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    version: Mapped[EvidenceVersion] = relationship(lazy="raise")
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id], lazy="raise")
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id], lazy="raise")


class ExpiryNotice(db.Model):
    """Remembers the expiry state last seen for a version, so the job audits each change once."""

    __tablename__ = "evidence_expiry_notices"

    version_id: Mapped[int] = mapped_column(ForeignKey("evidence_versions.id"),
                                            primary_key=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    noticed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
