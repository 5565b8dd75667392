"""Validity of evidence: per version, per item (its latest version) and per control."""

from datetime import date, timedelta
from enum import StrEnum

from flask import current_app
from sqlalchemy import case, func, select

from evidence.models import EvidenceItem, EvidenceLink, EvidenceVersion
from isms.api import db, local_today


class EvidenceStatus(StrEnum):
    CURRENT = "current"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    NONE = "none"


RANK = {EvidenceStatus.CURRENT: 3, EvidenceStatus.EXPIRING: 2, EvidenceStatus.EXPIRED: 1,
        EvidenceStatus.NONE: 0}


def warning_days() -> int:
    return current_app.config["ISMS_EXPIRY_WARNING_DAYS"]


def version_status(valid_until: date | None, today: date | None = None) -> EvidenceStatus:
    """Current, expiring (within the warning window) or expired, as of today."""
    today = today or local_today()
    if valid_until is None or valid_until > today + timedelta(days=warning_days()):
        return EvidenceStatus.CURRENT
    return EvidenceStatus.EXPIRING if valid_until >= today else EvidenceStatus.EXPIRED


def item_status(item: EvidenceItem, today: date | None = None) -> EvidenceStatus:
    """An item's status is its latest version's; a deleted or purged one counts as none."""
    version = item.latest_version
    if item.is_deleted or version is None or version.is_purged:
        return EvidenceStatus.NONE
    return version_status(version.valid_until, today)


def status_filter(status: str, today: date | None = None):
    """Return a SQL condition on the latest version for one status."""
    today = today or local_today()
    horizon = today + timedelta(days=warning_days())
    valid_until = EvidenceVersion.valid_until
    if status == EvidenceStatus.CURRENT:
        return valid_until.is_(None) | (valid_until > horizon)
    if status == EvidenceStatus.EXPIRING:
        return valid_until.between(today, horizon)
    return valid_until < today


def status_by_control(edition: str, control_ids=None) -> dict[str, EvidenceStatus]:
    """Return the best status among each control's live evidence, in one grouped query."""
    query = (
        select(
            EvidenceLink.control_id,
            func.max(case((EvidenceVersion.valid_until.is_(None), 1), else_=0)),
            func.max(EvidenceVersion.valid_until),
        )
        .join(EvidenceItem, EvidenceItem.id == EvidenceLink.item_id)
        .join(EvidenceVersion, EvidenceVersion.id == EvidenceItem.latest_version_id)
        .where(EvidenceLink.edition == edition, EvidenceItem.deleted_at.is_(None),
               EvidenceVersion.purged_at.is_(None))
        .group_by(EvidenceLink.control_id)
    )
    ids = None if control_ids is None else list(control_ids)
    if ids is not None:
        query = query.where(EvidenceLink.control_id.in_(ids))
    today = local_today()
    found = {
        control_id: EvidenceStatus.CURRENT if open_ended else version_status(latest, today)
        for control_id, open_ended, latest in db.session.execute(query)
    }
    if ids is None:
        return found
    return {cid: found.get(cid, EvidenceStatus.NONE) for cid in ids}
