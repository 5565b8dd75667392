"""A test-only pause inside a request's transaction, for the fault tests. Never set in use.

With `ISMS_TEST_PAUSE_AT` naming an endpoint (e.g. `soa.decide`), a request to that
endpoint flushes its changes when it commits, writes `<instance>/paused` and waits there, the
transaction still open, until the test deletes the file (or two minutes pass). The tests then
kill the server or cut the database at that known point. Unset (the default), nothing is
registered and no request is slowed.
"""

import os
import time

from flask import current_app, has_request_context, request
from sqlalchemy import event
from sqlalchemy.orm import Session

PAUSE_FILE = "paused"
LONGEST_PAUSE = 120


def _pause_before_commit(session: Session) -> None:
    if not has_request_context() or request.endpoint != current_app.config.get(
            "ISMS_TEST_PAUSE_AT"):
        return
    session.flush()  # the request's writes are in the database, not yet committed
    marker = os.path.join(current_app.instance_path, PAUSE_FILE)
    with open(marker, "w") as handle:
        handle.write(request.endpoint)
    deadline = time.monotonic() + LONGEST_PAUSE
    while os.path.exists(marker) and time.monotonic() < deadline:
        time.sleep(0.05)


def init_app(app) -> None:
    """Register the pause only when the test setting asks for it."""
    if app.config.get("ISMS_TEST_PAUSE_AT") and not event.contains(
            Session, "before_commit", _pause_before_commit):
        event.listen(Session, "before_commit", _pause_before_commit)


def pause_in_job(task_name: str) -> None:
    """Test only: the first job of `task_name` to get here waits, its pid in `<instance>/paused`.

    With `ISMS_TEST_PAUSE_AT` naming a queued task (e.g. `aws.collect_slice`), exactly one job
    (the first to claim `<instance>/pause-claimed`) writes its process id to `paused` and waits
    until the test removes that file, so the test can kill that worker mid-job.
    """
    if current_app.config.get("ISMS_TEST_PAUSE_AT") != task_name:
        return
    claim = os.path.join(current_app.instance_path, "pause-claimed")
    try:
        os.close(os.open(claim, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return
    marker = os.path.join(current_app.instance_path, PAUSE_FILE)
    with open(marker, "w") as handle:
        handle.write(str(os.getpid()))
    deadline = time.monotonic() + LONGEST_PAUSE
    while os.path.exists(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
