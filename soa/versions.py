"""Issuing the SoA as a controlled document: submit, approve by a second person, freeze."""

import hashlib
import io

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from controls.api import add_months
from isms.api import Role, User, anchor_head, db, get_organisation, record_event, utcnow
from management.api import risk_register_dates
from soa.check import check_rows
from soa.models import SoaStatus, SoaVersion
from soa.rows import snapshot, soa_rows

TITLE = "Statement of Applicability"


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
    rows = soa_rows(edition)
    readiness = check_rows(rows)
    if not readiness.ready:
        raise SoaError("The SoA cannot be issued yet: " + "; ".join(
            f"{label.lower()} ({len(ids)}): {', '.join(ids[:5])}{', ...' if len(ids) > 5 else ''}"
            for label, ids in readiness.blockers) + ". The SoA page lists them all.")
    number = (db.session.scalar(select(func.max(SoaVersion.number))) or 0) + 1
    version = SoaVersion(number=number, edition=edition, status=SoaStatus.SUBMITTED,
                         change_summary=summary, snapshot=snapshot(edition, rows),
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
    rows = soa_rows(version.edition)  # built once: checked, compared and written
    if snapshot(version.edition, rows) != version.snapshot:
        raise SoaError("Decisions changed after this version was submitted; withdraw it and "
                       "submit the SoA again.")
    if not check_rows(rows).ready:
        raise SoaError("The SoA is not ready to issue; see the check on the SoA page.")
    previous = latest_approved()
    org = get_organisation()
    version.status = SoaStatus.APPROVED
    version.approved_by_id, version.approved_at = approver.id, utcnow()
    version.approver_title = (approver_title or "").strip() or approver.role.value
    version.previous_sha256 = previous.sha256 if previous else None
    version.document_id, version.classification = org.soa_document_id, org.soa_classification
    version.next_review_on = add_months(version.approved_at.date(), org.soa_review_months)
    from soa.workbook import write_workbook  # openpyxl loads on first use

    head = anchor_head(f"SoA version {version.number}")
    buffer = io.BytesIO()
    write_workbook(buffer, version.edition, cover_rows(version, approver) + [
        ("Audit chain head at issue", f"event {head[0]}, SHA-256 {head[1]}")],
        rows=rows, version_label=f"v{version.number}", document_id=version.document_id)
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


def _leads() -> str:
    """The SoA's owner: the security lead(s)."""
    leads = db.session.scalars(select(User).where(User.role == Role.LEAD,
                                                  User.is_enabled.is_(True)).order_by(User.id))
    return ", ".join(u.display_name for u in leads) + " (security lead)"


def cover_rows(version: SoaVersion | None, approver: User | None = None) -> list[tuple]:
    """The Cover sheet: the document's control data, the organisation and its scope."""
    org = get_organisation()
    assessed, planned = risk_register_dates()
    edition = org.edition if version is None else version.edition
    if version is None:
        previous = latest_approved()
        control = [("Version", "Draft (not issued)"), ("Status", "Draft"),
                   ("Classification", org.soa_classification),
                   ("Owner", _leads()), ("Approved by", ""), ("Approved on", ""),
                   ("Next review", "")]
        history = [("Change summary", ""), ("SHA-256 of the previous issued version",
                                            previous.sha256 if previous else "")]
    else:
        approver = approver or version.approved_by
        approved_on = version.approved_at.date() if version.approved_at else ""
        control = [("Version", version.number), ("Status", "Issued"),
                   ("Classification", version.classification or org.soa_classification),
                   ("Owner", _leads()),
                   ("Approved by", f"{approver.display_name} "
                                   f"({version.approver_title or approver.role.value})"
                                   if approver else ""),
                   ("Approved on", approved_on), ("Next review", version.next_review_on or "")]
        history = [("Submitted by", db.session.get(User, version.submitted_by_id).display_name),
                   ("Change summary", version.change_summary),
                   ("SHA-256 of the previous issued version", version.previous_sha256 or "none")]
    document_id = (version.document_id if version is not None and version.document_id
                   else org.soa_document_id)
    return [("Document ID", document_id), ("Title", TITLE), *control,
            ("Organisation", org.name), ("Scope", org.scope),
            ("Standard", f"ISO/IEC 27001:{edition} Annex A"), ("Edition", edition),
            ("Risk assessment of", assessed or "none recorded"),
            ("Risk treatment plan of", planned or "none recorded"), *history]
