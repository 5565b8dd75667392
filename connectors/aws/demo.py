"""The demo's AWS connection: two recorded runs replayed through the live store path."""

import json
from datetime import date, timedelta
from importlib import resources

from sqlalchemy import select

from connectors.aws.models import AwsRun, AwsRunSlice
from connectors.aws.runs import complete_slice, save_slice, start_run
from connectors.aws.services import ConnectionValues, get_connection_by_name, save_connection
from isms.api import db

DEMO_NAME = "demo-aws"
ACTOR = "system:demo"


def recorded_runs() -> dict:
    """The recorded check results (package data), one set per demo run."""
    text = resources.files("connectors.aws").joinpath("data", "demo_runs.json").read_text(
        encoding="utf-8")
    return json.loads(text)


def add_demo_connection(owner_id: int, today: date) -> int:
    """Add the demo connection and replay its two runs: all pass, then three failing checks.

    Commits as it goes, like a live run; a second call finds the connection and adds nothing.
    """
    existing = get_connection_by_name(DEMO_NAME)
    if existing is not None:
        return existing.id
    recorded = recorded_runs()
    connection = save_connection(ConnectionValues(
        DEMO_NAME, recorded["account"], recorded["region"], owner_id, is_enabled=False),
        audit_actor=ACTOR)
    db.session.commit()
    for replay in recorded["runs"]:
        run = start_run(connection, trigger="demo", actor=ACTOR)
        db.session.commit()
        piece = db.session.scalars(select(AwsRunSlice).where(AwsRunSlice.run_id == run.id)).one()
        save_slice(piece, replay["results"])
        day = today - timedelta(days=replay["days_ago"])
        complete_slice(piece.id, day)
        moved = db.session.get(AwsRun, run.id)
        # Recorded on earlier days: shift the run's clock to its day, keep its duration.
        shift = timedelta(days=replay["days_ago"])
        moved.started_at -= shift
        if moved.finished_at:
            moved.finished_at -= shift
        db.session.commit()
    return connection.id
