"""Evidence jobs: expiry notices and the sweep."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from evidence.maintenance import sweep_job
from evidence.models import EvidenceItem, EvidenceVersion, ExpiryNotice
from evidence.status import version_status, warning_days
from isms.api import db, get_organisation, record_event, register_job


def expiry_job(now: datetime) -> None:
    """Record which latest versions became expiring or expired since the last run."""
    today = now.astimezone(ZoneInfo(get_organisation().timezone)).date()
    rows = db.session.execute(
        select(EvidenceItem.id, EvidenceVersion.id, EvidenceVersion.number,
               EvidenceVersion.valid_until)
        .join(EvidenceVersion, EvidenceVersion.id == EvidenceItem.latest_version_id)
        .where(EvidenceItem.deleted_at.is_(None), EvidenceVersion.purged_at.is_(None),
               EvidenceVersion.valid_until <= today + timedelta(days=warning_days()))).all()
    notices = {n.version_id: n for n in db.session.scalars(select(ExpiryNotice).where(
        ExpiryNotice.version_id.in_([version_id for _, version_id, _, _ in rows])))}
    for item_id, version_id, number, valid_until in rows:
        status = version_status(valid_until, today).value
        notice = notices.get(version_id)
        if notice is not None and notice.status == status:
            continue
        if notice is None:
            db.session.add(ExpiryNotice(version_id=version_id, status=status))
        else:
            notice.status = status
        record_event(f"evidence.{status}", "evidence", item_id, actor="system:evidence-expiry",
                     after={"version": number, "valid_until": valid_until})
    db.session.commit()


def register_jobs(app) -> None:
    """Declare the expiry check (daily and at start) and the hourly sweep."""
    register_job(app, "evidence-expiry", expiry_job, "cron", hour=0, minute=15,
                 run_at_start=True)
    register_job(app, "evidence-sweep", sweep_job, "interval", hours=1, run_at_start=True)
