"""Periodic jobs: declared by features, run by exactly one scheduler at a time.

Features call `register_job` from their `init_app`; `create_app()` never starts anything.
The process that holds the database lease runs an APScheduler with an in-memory job store
(APScheduler 3 forbids sharing a job store between schedulers) and renews the lease with a
heartbeat; other processes wait and take over once the lease expires. `isms run` runs this
loop in a background thread, production runs one `isms scheduler` process.
"""

import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import String, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from isms.db import UTCDateTime, db, utcnow

log = logging.getLogger("isms.scheduler")
LEASE_NAME = "scheduler"


@dataclass(frozen=True)
class JobSpec:
    id: str
    func: Callable  # a plain function of `now`, safe to run twice
    trigger: str
    trigger_args: dict
    # True, or a function of (app, now) saying whether to catch up when a scheduler starts.
    run_at_start: bool | Callable = False


class SchedulerLease(db.Model):
    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


def register_job(app, job_id: str, func: Callable, trigger: str, *,
                 run_at_start: bool | Callable = False, **trigger_args) -> None:
    """Declare a periodic job under a stable id (registering the same id replaces it)."""
    jobs = app.extensions.setdefault("isms.jobs", {})
    jobs[job_id] = JobSpec(job_id, func, trigger, trigger_args, run_at_start)


def list_jobs(app) -> list[JobSpec]:
    """Return the declared jobs in id order."""
    return sorted(app.extensions.get("isms.jobs", {}).values(), key=lambda job: job.id)


def get_job(app, job_id: str) -> JobSpec | None:
    return app.extensions.get("isms.jobs", {}).get(job_id)


def trigger_args(app, job: JobSpec) -> dict:
    """Resolve trigger arguments that depend on configuration (given as callables)."""
    return {k: v(app) if callable(v) else v for k, v in job.trigger_args.items()}


def build_scheduler(app, timezone: str, *, catch_up: bool = True):
    """Return a stopped APScheduler with every declared job on an in-memory job store."""
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = BackgroundScheduler(timezone=timezone)
    now = datetime.now(UTC)
    for job in list_jobs(app):
        wanted = job.run_at_start(app, now) if callable(job.run_at_start) else job.run_at_start
        start = {"next_run_time": now} if catch_up and wanted else {}
        scheduler.add_job(
            _in_app_context(app, job), job.trigger, id=job.id, coalesce=True,
            max_instances=1, replace_existing=True, misfire_grace_time=3600, **start,
            **trigger_args(app, job),
        )
    return scheduler


def _in_app_context(app, job: JobSpec) -> Callable:
    def run():
        with app.app_context():
            try:
                job.func(utcnow())
            except Exception:
                db.session.rollback()
                log.exception("job %s failed", job.id)
                raise

    return run


def holder_name() -> str:
    """Name this process in the lease: host, pid and a thread id."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def try_acquire(holder: str, seconds: int) -> bool:
    """Take or renew the lease if it is free, expired or already ours; commit."""
    now = utcnow()
    expires = now + timedelta(seconds=seconds)
    renewed = db.session.execute(
        update(SchedulerLease)
        .where(SchedulerLease.name == LEASE_NAME,
               or_(SchedulerLease.holder == holder, SchedulerLease.expires_at < now))
        .values(holder=holder, expires_at=expires)
        .execution_options(synchronize_session=False))
    if renewed.rowcount == 1:
        db.session.commit()
        return True
    if db.session.scalar(select(SchedulerLease.name).where(
            SchedulerLease.name == LEASE_NAME)) is not None:
        db.session.rollback()
        return False
    db.session.add(SchedulerLease(name=LEASE_NAME, holder=holder, expires_at=expires))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # another process created it first
        return False
    return True


def release(holder: str) -> None:
    """Give the lease up at once so another process need not wait for it to expire."""
    db.session.execute(
        update(SchedulerLease)
        .where(SchedulerLease.name == LEASE_NAME, SchedulerLease.holder == holder)
        .values(expires_at=utcnow() - timedelta(seconds=1))
        .execution_options(synchronize_session=False))
    db.session.commit()


def run_with_lease(app, stop: threading.Event, timezone: Callable[[], str]) -> None:
    """Run the scheduler whenever this process holds the lease, until `stop` is set."""
    seconds = app.config["ISMS_SCHEDULER_LEASE_SECONDS"]
    holder, scheduler = holder_name(), None
    try:
        while not stop.is_set():
            with app.app_context():
                try:
                    holding = try_acquire(holder, seconds)
                except Exception:  # the database is away: do not run jobs meanwhile
                    log.exception("could not renew the scheduler lease")
                    db.session.rollback()
                    holding = False
                if holding and scheduler is None:
                    scheduler = build_scheduler(app, timezone())
                    scheduler.start()
                    log.info("scheduler started by %s", holder)
            if not holding and scheduler is not None:
                scheduler.shutdown(wait=False)
                scheduler = None
                log.warning("scheduler lease lost by %s", holder)
            stop.wait(max(1, seconds / 3))
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=True)
            with app.app_context():
                release(holder)
