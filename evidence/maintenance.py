"""Purge by two people, verify every stored hash, sweep what a crash left behind."""

import hashlib
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from evidence.models import EvidencePurge, EvidenceVersion, PurgeStatus
from evidence.services import EvidenceError
from evidence.storage import CHUNK, StorageError, get_storage
from isms.api import (
    SPOOL_PREFIX,
    SPOOL_SUFFIX,
    BlobStore,
    Role,
    User,
    db,
    record_event,
    utcnow,
)

PURGE_DECIDERS = (Role.LEAD, Role.ADMIN)


def request_purge(version: EvidenceVersion, reason: str, actor: User) -> EvidencePurge:
    """Ask for a blob to be destroyed; another lead or admin must approve it."""
    reason = (reason or "").strip()
    if not reason:
        raise EvidenceError("Say why this content must be destroyed.", "reason")
    if version.is_purged:
        raise EvidenceError("This version is already purged.")
    pending = db.session.scalars(select(EvidencePurge).filter_by(
        version_id=version.id, status=PurgeStatus.REQUESTED)).first()
    if pending is not None:
        raise EvidenceError("A purge of this version is already waiting for approval.")
    purge = EvidencePurge(version_id=version.id, sha256=version.sha256, size=version.size,
                          reason=reason, requested_by_id=actor.id)
    db.session.add(purge)
    db.session.flush()
    record_event("evidence.purge_request", "evidence", version.item_id, after={
        "purge_id": purge.id, "version": version.number, "sha256": version.sha256,
        "reason": reason}, actor=str(actor.id))
    return purge


def decide_purge(purge: EvidencePurge, approve: bool, actor: User) -> None:
    """Approve (destroy the content everywhere it is stored) or reject a purge request."""
    if purge.status is not PurgeStatus.REQUESTED:
        raise EvidenceError("This purge request was already decided.")
    if actor.id == purge.requested_by_id or actor.role not in PURGE_DECIDERS:
        raise EvidenceError("A second person, a lead or an admin, must decide a purge.")
    purge.status = PurgeStatus.APPROVED if approve else PurgeStatus.REJECTED
    purge.decided_by_id, purge.decided_at = actor.id, utcnow()
    if approve:
        # The same bytes may back several versions (content is stored once): purge them all.
        db.session.execute(
            update(EvidenceVersion).where(EvidenceVersion.sha256 == purge.sha256,
                                          EvidenceVersion.purged_at.is_(None))
            .values(purged_at=purge.decided_at, text_content=None)
            .execution_options(synchronize_session=False))
    record_event("evidence.purge_" + ("approve" if approve else "reject"), "evidence",
                 purge.version.item_id, after={"purge_id": purge.id, "sha256": purge.sha256,
                                               "size": purge.size}, actor=str(actor.id))
    db.session.flush()


def destroy_purged_blob(purge: EvidencePurge) -> None:
    """Delete the blob after the approval is committed (so a failed commit loses nothing)."""
    if purge.status is PurgeStatus.APPROVED:
        get_storage().delete(purge.sha256)


@dataclass(frozen=True)
class Problem:
    item_id: int
    number: int
    name: str
    reason: str

    def __str__(self) -> str:
        return f"evidence {self.item_id} version {self.number} ({self.name}): {self.reason}"


def verify_versions() -> tuple[int, list[Problem]]:
    """Re-hash every live version's content; return how many were checked and the problems."""
    storage, checked, problems = get_storage(), 0, []
    query = (select(EvidenceVersion).where(EvidenceVersion.purged_at.is_(None))
             .order_by(EvidenceVersion.id).execution_options(yield_per=500))
    for version in db.session.scalars(query):
        checked += 1
        name = version.file_name or (version.text_content or "")[:40]
        if version.storage_key is None:
            actual = hashlib.sha256((version.text_content or "").encode("utf-8")).hexdigest()
        elif not storage.exists(version.storage_key):
            problems.append(Problem(version.item_id, version.number, name, "blob is missing"))
            continue
        else:
            actual = _hash_blob(storage, version.storage_key)
        if actual != version.sha256:
            problems.append(Problem(version.item_id, version.number, name,
                                    "content does not match its SHA-256"))
    return checked, problems


def _hash_blob(storage, key: str) -> str:
    digest = hashlib.sha256()
    stream = storage.open(key)
    try:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    finally:
        stream.close()
    return digest.hexdigest()


@dataclass(frozen=True)
class SweepReport:
    spools_removed: int
    blobs_removed: int
    error: str = ""


def sweep(older_than: timedelta = timedelta(hours=1)) -> SweepReport:
    """Remove stale upload spools and blobs no live version references."""
    cutoff = time.time() - older_than.total_seconds()
    spools = 0
    folder = current_app.config["ISMS_UPLOAD_TMP"]
    if os.path.isdir(folder):
        for entry in os.scandir(folder):
            stale = entry.is_file() and entry.stat().st_mtime <= cutoff
            if stale and (entry.name.startswith(SPOOL_PREFIX) or entry.name.endswith(
                    SPOOL_SUFFIX)):
                os.unlink(entry.path)
                spools += 1
    referenced = set(db.session.scalars(
        select(EvidenceVersion.storage_key).where(EvidenceVersion.storage_key.is_not(None),
                                                  EvidenceVersion.purged_at.is_(None))))
    blob_cutoff, blobs = datetime.fromtimestamp(cutoff, UTC), 0
    try:
        storage = get_storage()
        for key, modified in list(storage.list_keys()):
            if key not in referenced and modified <= blob_cutoff:
                storage.delete(key)
                blobs += 1
    except StorageError as error:  # spools are cleaned even when the store is away
        return SweepReport(spools, blobs, str(error))
    return SweepReport(spools, blobs)


def referenced_keys(conn) -> list[str]:
    """Storage keys of live versions, read on the caller's connection (the backup's)."""
    return list(conn.scalars(
        select(EvidenceVersion.storage_key).distinct()
        .where(EvidenceVersion.storage_key.is_not(None), EvidenceVersion.purged_at.is_(None))))


def backup_store() -> BlobStore:
    """The evidence store as `isms backup` and `isms restore` see it."""
    return BlobStore("evidence", referenced_keys,
                     open=lambda key: get_storage().open(key),
                     put=lambda key, stream: get_storage().put_stream(key, stream),
                     exists=lambda key: get_storage().exists(key))


def sweep_job(now: datetime) -> None:
    """Scheduled sweep, run at start and hourly."""
    report = sweep()
    if report.spools_removed or report.blobs_removed:
        record_event("evidence.sweep", "evidence", "store", actor="system:evidence-sweep",
                     after={"spools_removed": report.spools_removed,
                            "blobs_removed": report.blobs_removed})
        db.session.commit()
