"""The daily AWS collection: the scheduler only starts runs and queues their jobs."""

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select

from connectors.aws.models import AwsRun
from connectors.aws.runs import TASK, collect_slice, queue_run, start_run
from connectors.aws.services import list_connections
from isms.api import db, get_organisation, register_job, register_task


def aws_collect_job(now: datetime) -> None:
    """Start a run of each enabled connection not yet collected today (safe to run twice)."""
    zone = ZoneInfo(get_organisation().timezone)
    today = now.astimezone(zone).date()
    day_start = datetime.combine(today, time(), zone).astimezone(UTC)
    done = set(db.session.scalars(select(AwsRun.connection_id).where(
        AwsRun.started_at >= day_start, AwsRun.status != "error")))
    for connection in list_connections(enabled_only=True):
        if connection.id not in done:
            run = start_run(connection, trigger="schedule")
            db.session.commit()
            queue_run(run.id)


def _aws_time(part: int):
    def read(app) -> int:
        return int(app.config["ISMS_AWS_COLLECT_TIME"].split(":")[part])

    return read


def register_jobs(app) -> None:
    """Declare the daily collection and the account x region job it queues."""
    register_job(app, "aws-collect", aws_collect_job, "cron", hour=_aws_time(0),
                 minute=_aws_time(1))
    register_task(app, TASK, collect_slice)
