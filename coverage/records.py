"""How the organisation meets a requirement with no ISO counterpart: owner, status, notes,
evidence; each change audited with the person who made it."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from coverage.models import RecordStatus, RequirementEvidence, RequirementRecord
from evidence.api import summaries_for_items
from isms.api import Role, User, db, record_event, utcnow

AUDITED = ("status", "owner_id", "notes")


@dataclass(frozen=True)
class RecordSummary:
    status: str
    owner_name: str | None
    notes: str
    evidence_item_ids: tuple[int, ...]


def object_id(framework: str, requirement_id: str) -> str:
    """The id the audit log files a requirement's events under."""
    return f"{framework}:{requirement_id}"


def records_by_requirement(framework: str) -> dict[str, RecordSummary]:
    """Return every recorded requirement of a framework with its evidence ids (two queries)."""
    records = list(db.session.scalars(
        select(RequirementRecord).where(RequirementRecord.framework == framework)
        .options(joinedload(RequirementRecord.owner))))
    linked: dict[int, list[int]] = {}
    for record_id, item_id in db.session.execute(
            select(RequirementEvidence.record_id, RequirementEvidence.evidence_item_id)
            .join(RequirementRecord, RequirementRecord.id == RequirementEvidence.record_id)
            .where(RequirementRecord.framework == framework).order_by(RequirementEvidence.id)):
        linked.setdefault(record_id, []).append(item_id)
    return {r.requirement_id: RecordSummary(
        r.status.value, r.owner.display_name if r.owner else None, r.notes,
        tuple(linked.get(r.id, ()))) for r in records}


def record_statuses(framework: str) -> dict[str, str]:
    """Return the status of every recorded requirement of a framework (one query)."""
    return {requirement_id: status.value for requirement_id, status in db.session.execute(
        select(RequirementRecord.requirement_id, RequirementRecord.status)
        .where(RequirementRecord.framework == framework))}


def get_record(framework: str, requirement_id: str) -> RequirementRecord | None:
    return db.session.scalars(
        select(RequirementRecord).where(RequirementRecord.framework == framework,
                                        RequirementRecord.requirement_id == requirement_id)
        .options(joinedload(RequirementRecord.owner))).one_or_none()


def record_for_update(framework: str, requirement_id: str) -> RequirementRecord:
    """Return the requirement's record, creating it (not started) the first time."""
    record = get_record(framework, requirement_id)
    if record is None:
        record = RequirementRecord(framework=framework, requirement_id=requirement_id,
                                   status=RecordStatus.NOT_STARTED, notes="")
        db.session.add(record)
        db.session.flush()
    return record


def can_edit_record(user: User, record: RequirementRecord | None) -> bool:
    """The lead edits every record; an owner the records they own."""
    if user.role is Role.LEAD:
        return True
    return user.role is Role.OWNER and record is not None and record.owner_id == user.id


def update_record(record: RequirementRecord, values: dict, actor: User) -> bool:
    """Apply the validated values and audit what changed; return whether anything did."""
    before = {k: getattr(record, k) for k in AUDITED}
    for name, value in values.items():
        setattr(record, name, value)
    after = {k: getattr(record, k) for k in AUDITED}
    changed = [k for k in AUDITED if before[k] != after[k]]
    if changed:
        record.updated_at = utcnow()
        record_event("requirement.update", "requirement",
                     object_id(record.framework, record.requirement_id),
                     before={k: before[k] for k in changed},
                     after={k: after[k] for k in changed}, actor=str(actor.id))
    db.session.flush()
    return bool(changed)


def record_evidence(record: RequirementRecord | None) -> list:
    """Return summaries of the live evidence linked to a record."""
    if record is None:
        return []
    ids = list(db.session.scalars(select(RequirementEvidence.evidence_item_id).where(
        RequirementEvidence.record_id == record.id).order_by(RequirementEvidence.id)))
    found = summaries_for_items(ids)
    return [found[i] for i in ids if i in found]


def link_evidence(record: RequirementRecord, item_id: int, actor: User) -> bool:
    """Link a live evidence item; False when it is not one or is linked already."""
    if not summaries_for_items([item_id]):
        return False
    exists = db.session.scalar(select(RequirementEvidence.id).where(
        RequirementEvidence.record_id == record.id,
        RequirementEvidence.evidence_item_id == item_id))
    if exists:
        return False
    db.session.add(RequirementEvidence(record_id=record.id, evidence_item_id=item_id))
    record_event("requirement.link_evidence", "requirement",
                 object_id(record.framework, record.requirement_id),
                 after={"evidence_item_id": item_id}, actor=str(actor.id))
    db.session.flush()
    return True


def unlink_evidence(record: RequirementRecord, item_id: int, actor: User) -> bool:
    """Remove a linked item; False when it was not linked."""
    link = db.session.scalars(select(RequirementEvidence).where(
        RequirementEvidence.record_id == record.id,
        RequirementEvidence.evidence_item_id == item_id)).one_or_none()
    if link is None:
        return False
    db.session.delete(link)
    record_event("requirement.unlink_evidence", "requirement",
                 object_id(record.framework, record.requirement_id),
                 before={"evidence_item_id": item_id}, actor=str(actor.id))
    db.session.flush()
    return True
