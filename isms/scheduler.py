"""The one place periodic jobs are declared; the scheduler itself is started explicitly.

Feature packages call `register_job` from their `init_app`. Nothing here starts a scheduler:
`create_app()` never does, `isms run` starts one in-process, and production runs a single
`isms scheduler` process (added with the reminders work).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class JobSpec:
    id: str
    func: Callable  # a plain function of `now`, safe to run twice
    trigger: str
    trigger_args: dict
    run_at_start: bool = False


def register_job(app, job_id: str, func: Callable, trigger: str, *, run_at_start: bool = False,
                 **trigger_args) -> None:
    """Declare a periodic job under a stable id (registering the same id replaces it)."""
    jobs = app.extensions.setdefault("isms.jobs", {})
    jobs[job_id] = JobSpec(job_id, func, trigger, trigger_args, run_at_start)


def list_jobs(app) -> list[JobSpec]:
    """Return the declared jobs in id order."""
    return sorted(app.extensions.get("isms.jobs", {}).values(), key=lambda job: job.id)


def build_scheduler(app, timezone: str):
    """Return a stopped APScheduler with every declared job on an in-memory job store."""
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = BackgroundScheduler(timezone=timezone)
    for job in list_jobs(app):
        start = {"next_run_time": datetime.now(UTC)} if job.run_at_start else {}
        scheduler.add_job(
            _in_app_context(app, job.func), job.trigger, id=job.id, coalesce=True,
            max_instances=1, replace_existing=True, **start, **job.trigger_args,
        )
    return scheduler


def _in_app_context(app, func: Callable) -> Callable:
    def run():
        from isms.db import utcnow

        with app.app_context():
            func(utcnow())

    return run
