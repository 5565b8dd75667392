"""Issuing the SoA as a controlled document: submit, approve by a second person, freeze."""

import hashlib
import io

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from isms.api import Role, User, anchor_head, db, get_organisation, record_event, utcnow
from soa.models import SoaStatus, SoaVersion
from soa.rows import snapshot


class SoaError(ValueError):
    """An SoA version cannot be submitted or approved; the message says why."""


def list_versions() -> list[SoaVersion]:
    """Return every version, newest first, with submitter and approver."""
    return list(db.session.scalars(
        select(SoaVersion).order_by(SoaVersion.number.desc())
        .options(joinedload(SoaVersion.submitted_by), joinedload(SoaVersion.approved_by))))


def get_version(number: int) -> SoaVersion | None:
    return db.session.scalars(select(SoaVersion).filter_by(number=number).options(
        joinedload(SoaVersion.submitted_by), joinedload(SoaVersion.approved_by))).one_or_none()


def latest_approved() -> SoaVersion | None:
    """Return the newest issued version, if any."""
    return db.session.scalars(select(SoaVersion).filter_by(status=SoaStatus.APPROVED)
                              .order_by(SoaVersion.number.desc()).limit(1)).first()


def pending_version() -> SoaVersion | None:
    return db.session.scalars(select(SoaVersion).filter_by(status=SoaStatus.SUBMITTED)).first()


def submit(user: User, change_summary: str, audit_actor: str | None = None) -> SoaVersion:
    """Freeze the current decisions as version N, waiting for approval (caller commits)."""
    summary = (change_summary or "").strip()
    if not summary:
        raise SoaError("Summarise what changed since the last version.")
    if pending_version() is not None:
        raise SoaError("A version is already waiting for approval; approve or withdraw it.")
    edition = get_organisation().edition
    number = (db.session.scalar(select(func.max(SoaVersion.number))) or 0) + 1
    version = SoaVersion(number=number, edition=edition, status=SoaStatus.SUBMITTED,
                         change_summary=summary, snapshot=snapshot(edition),
                         submitted_by_id=user.id)
    db.session.add(version)
    db.session.flush()
    record_event("soa.submit", "soa_version", number, after={"change_summary": summary},
                 actor=audit_actor or str(user.id))
    return version


def approve(version: SoaVersion, approver: User, approver_title: str,
            audit_actor: str | None = None) -> None:
    """Approve: build the workbook once, store its bytes and SHA-256 (caller commits)."""
    if version.status is not SoaStatus.SUBMITTED:
        raise SoaError("Only a submitted version can be approved.")
    if approver.id == version.submitted_by_id or approver.role not in (Role.LEAD, Role.ADMIN):
        raise SoaError("A lead or admin other than the submitter must approve the SoA.")
    if snapshot(version.edition) != version.snapshot:
        raise SoaError("Decisions changed after this version was submitted; withdraw it and "
                       "submit the SoA again.")
    previous = latest_approved()
    version.status = SoaStatus.APPROVED
    version.approved_by_id, version.approved_at = approver.id, utcnow()
    version.approver_title = (approver_title or "").strip() or approver.role.value
    version.previous_sha256 = previous.sha256 if previous else None
    from soa.workbook import write_workbook  # openpyxl loads on first use

    head = anchor_head(f"SoA version {version.number}")
    buffer = io.BytesIO()
    write_workbook(buffer, version.edition, cover_rows(version, approver) + [
        ("Audit chain head at issue", f"event {head[0]}, SHA-256 {head[1]}")])
    version.workbook = buffer.getvalue()
    version.sha256 = hashlib.sha256(version.workbook).hexdigest()
    record_event("soa.approve", "soa_version", version.number, after={
        "sha256": version.sha256, "approver_title": version.approver_title,
        "previous_sha256": version.previous_sha256}, actor=audit_actor or str(approver.id))


def withdraw(version: SoaVersion, user: User) -> None:
    """Withdraw a submission that was not approved."""
    if version.status is not SoaStatus.SUBMITTED:
        raise SoaError("Only a submitted version can be withdrawn.")
    version.status = SoaStatus.WITHDRAWN
    record_event("soa.withdraw", "soa_version", version.number, actor=str(user.id))


def cover_rows(version: SoaVersion | None, approver: User | None = None) -> list[tuple]:
    """The Cover sheet: the organisation, the scope and this document's control data."""
    org = get_organisation()
    rows = [("Organisation", org.name), ("Scope", org.scope),
            ("Standard", f"ISO/IEC 27001:{org.edition if version is None else version.edition}"
                         " Annex A")]
    if version is None:
        previous = latest_approved()
        return rows + [("Version", "Draft (not issued)"), ("Status", "Draft"),
                       ("Issued on", ""), ("Approved by", ""), ("Change summary", ""),
                       ("SHA-256 of the previous issued version",
                        previous.sha256 if previous else "")]
    approver = approver or version.approved_by
    return rows + [
        ("Version", version.number), ("Status", "Issued"),
        ("Issued on", version.approved_at.date() if version.approved_at else ""),
        ("Approved by", f"{approver.display_name} ({version.approver_title or approver.role})"
                        if approver else ""),
        ("Approved on", version.approved_at.date() if version.approved_at else ""),
        ("Submitted by", db.session.get(User, version.submitted_by_id).display_name),
        ("Change summary", version.change_summary),
        ("SHA-256 of the previous issued version", version.previous_sha256 or "none"),
    ]
