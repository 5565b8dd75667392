"""Scheduled jobs of controls: the daily digest and noticing overdue reviews."""

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from controls.digest import digest_job, local_date_of
from controls.models import OverdueNotice
from controls.reviews import open_follow_ups, review_statuses
from controls.services import list_control_rows
from isms.api import db, get_organisation, record_event, register_job


def overdue_job(now: datetime) -> None:
    """Audit each review and follow-up once, on the day it is first seen overdue."""
    org = get_organisation()
    today = local_date_of(now, org.timezone)
    rows = list_control_rows(org.edition)
    overdue = [(f"review:{org.edition}:{cid}", status.next_due, "review.overdue", "control",
                f"{org.edition}:{cid}")
               for cid, status in review_statuses(org.edition, [r.state for r in rows],
                                                  today).items()
               if status.status == "overdue"]
    overdue += [(f"follow-up:{f.id}", f.due_on, "followup.overdue", "follow_up", f.id)
                for f in open_follow_ups(due_by=today) if f.due_on < today]
    seen = set(db.session.execute(select(OverdueNotice.subject, OverdueNotice.due_on)).all())
    for subject, due_on, action, object_type, object_id in overdue:
        if (subject, due_on) in seen:
            continue
        db.session.add(OverdueNotice(subject=subject, due_on=due_on))
        record_event(action, object_type, object_id, actor="system:overdue",
                     after={"due_on": due_on})
    db.session.commit()


def _digest_time(part: int):
    def read(app) -> int:
        pieces = [*app.config["ISMS_DIGEST_TIME"].split(":"), "0"]
        return int(pieces[part])

    return read


def digest_time_has_passed(app, now: datetime) -> bool:
    """Say whether today's digest time is behind us (a starting scheduler then catches up)."""
    with app.app_context():
        local = now.astimezone(ZoneInfo(get_organisation().timezone))
    due = local.replace(hour=_digest_time(0)(app), minute=_digest_time(1)(app),
                        second=_digest_time(2)(app), microsecond=0)
    return local >= due


def register_jobs(app) -> None:
    """Declare the digest (daily at ISMS_DIGEST_TIME, local time) and the overdue check."""
    register_job(app, "digest", digest_job, "cron", hour=_digest_time(0),
                 minute=_digest_time(1), second=_digest_time(2),
                 run_at_start=digest_time_has_passed)
    register_job(app, "overdue", overdue_job, "cron", hour=0, minute=20, run_at_start=True)
