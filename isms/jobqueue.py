"""Long work as jobs on a queue shared by worker processes, or a thread pool when embedded.

Features declare tasks with `register_task` from their `init_app` and call `enqueue` once the
rows a job reads are committed. With `ISMS_QUEUE=postgres` (the default on PostgreSQL) jobs go
to procrastinate's queue in the application's own database, in a schema of its own
(`procrastinate`), and `isms worker` processes on any machine take them: each job is locked by
one worker at a time, retried on error, and requeued when its worker stops sending heartbeats
(killed, machine lost). With `ISMS_QUEUE=threads` (the default on SQLite) the same functions run
in a bounded thread pool inside the process that enqueued them (`isms run`, `isms scheduler`,
the CLI), so the embedded setup needs no other process. A task is a plain function of keyword
arguments that runs inside an app context, commits for itself and is safe to run twice.
"""

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from sqlalchemy.engine import make_url

from isms.db import db

log = logging.getLogger("isms.jobqueue")
SCHEMA = "procrastinate"
QUEUE_NAME = "isms"


@dataclass(frozen=True)
class TaskSpec:
    name: str
    func: Callable
    retries: int


def register_task(app, name: str, func: Callable, *, retries: int = 3) -> None:
    """Declare a job function under a stable name."""
    app.extensions.setdefault("isms.tasks", {})[name] = TaskSpec(name, func, retries)


def queue_backend(app) -> str:
    """Say where jobs run: "postgres" (worker processes) or "threads" (in this process)."""
    chosen = app.config["ISMS_QUEUE"]
    if chosen == "auto":
        url = app.config["SQLALCHEMY_DATABASE_URI"]
        return "postgres" if url.startswith("postgresql") else "threads"
    if chosen not in ("postgres", "threads"):
        raise RuntimeError(f"ISMS_QUEUE must be auto, postgres or threads, not {chosen!r}.")
    return chosen


def enqueue(app, name: str, lock: str | None = None, **kwargs) -> None:
    """Queue one job (call after committing what it reads); `lock` keeps two from overlapping."""
    task = app.extensions["isms.tasks"][name]
    if queue_backend(app) == "postgres":
        _sync_queue(app).configure_task(name, lock=lock, queue=QUEUE_NAME).defer(**kwargs)
        return
    pool = _pool(app)
    future = pool.executor.submit(_run_with_retries, app, task, kwargs)
    with pool.guard:
        pool.pending.add(future)
    future.add_done_callback(lambda done: _forget(pool, done))


def drain(app, timeout: float = 600) -> bool:
    """Wait until the in-process pool has no job left; True when idle (threads only)."""
    pool = app.extensions.get("isms.thread_pool")
    deadline = time.monotonic() + timeout
    while pool is not None and time.monotonic() < deadline:
        with pool.guard:
            pending = set(pool.pending)
        if not pending:
            return True
        wait(pending, timeout=max(0.0, deadline - time.monotonic()))
    return pool is None or not pool.pending


class _Pool:
    def __init__(self, size: int):
        self.executor = ThreadPoolExecutor(max_workers=size, thread_name_prefix="isms-job")
        self.pending: set[Future] = set()
        self.guard = threading.Lock()


def _pool(app) -> _Pool:
    with _POOL_GUARD:
        pool = app.extensions.get("isms.thread_pool")
        if pool is None:
            pool = app.extensions["isms.thread_pool"] = _Pool(app.config["ISMS_QUEUE_THREADS"])
        return pool


_POOL_GUARD = threading.Lock()


def _forget(pool: _Pool, future: Future) -> None:
    with pool.guard:
        pool.pending.discard(future)


def _run_with_retries(app, task: TaskSpec, kwargs: dict) -> None:
    for attempt in range(1, task.retries + 2):
        try:
            _run_in_context(app, task.func, kwargs)
            return
        except Exception:
            log.exception("job %s failed (attempt %d)", task.name, attempt)
            time.sleep(min(attempt, 5))


def _run_in_context(app, func: Callable, kwargs: dict) -> None:
    with app.app_context():
        try:
            func(**kwargs)
        except Exception:
            db.session.rollback()
            raise
        finally:
            db.session.remove()


def _conninfo(app) -> str:
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _connection_args(app) -> dict:
    return {"conninfo": _conninfo(app), "kwargs": {"options": f"-c search_path={SCHEMA}"}}


def _sync_queue(app):
    """The procrastinate app this process defers through (opened once, on first use)."""
    with _POOL_GUARD:
        queue = app.extensions.get("isms.sync_queue")
        if queue is None:
            import procrastinate

            connector = procrastinate.SyncPsycopgConnector(min_size=1, max_size=2,
                                                           **_connection_args(app))
            queue = _with_tasks(app, procrastinate.App(connector=connector))
            queue.open()
            app.extensions["isms.sync_queue"] = queue
        return queue


def _with_tasks(app, queue):
    from procrastinate import RetryStrategy

    for spec in app.extensions.get("isms.tasks", {}).values():
        queue.task(name=spec.name, queue=QUEUE_NAME, pass_context=False,
                   retry=RetryStrategy(max_attempts=spec.retries, wait=1))(
            _bound(app, spec.func))
    return queue


def _bound(app, func: Callable) -> Callable:
    def run(**kwargs):
        _run_in_context(app, func, kwargs)

    run.__name__ = run.__qualname__ = func.__name__
    return run


def run_worker(app, concurrency: int) -> None:
    """Take jobs from the PostgreSQL queue until stopped (SIGINT or SIGTERM)."""
    import procrastinate

    if queue_backend(app) != "postgres":
        raise RuntimeError("isms worker needs the PostgreSQL queue (ISMS_QUEUE=postgres or "
                           "auto on a PostgreSQL database); with threads, jobs run in the "
                           "process that queues them.")
    queue = _with_tasks(app, procrastinate.App(
        connector=procrastinate.PsycopgConnector(**_connection_args(app))))
    heartbeat = float(app.config["ISMS_WORKER_HEARTBEAT"])
    stalled_after = float(app.config["ISMS_WORKER_STALLED_AFTER"])
    stop = threading.Event()
    sweeper = threading.Thread(target=_requeue_stalled, args=(app, heartbeat, stalled_after,
                                                               stop), daemon=True)
    sweeper.start()
    try:
        queue.run_worker(queues=[QUEUE_NAME], concurrency=concurrency, wait=True,
                         update_heartbeat_interval=heartbeat,
                         stalled_worker_timeout=stalled_after,
                         fetch_job_polling_interval=min(5.0, heartbeat))
    finally:
        stop.set()


def _requeue_stalled(app, every: float, stalled_after: float, stop: threading.Event) -> None:
    """Put back the jobs of workers whose heartbeat stopped, so another worker retries them."""
    while not stop.wait(every):
        try:
            requeue_stalled(app, stalled_after)
        except Exception:
            log.exception("could not requeue stalled jobs")


def requeue_stalled(app, stalled_after: float) -> int:
    """Requeue jobs held by silent workers now; return how many."""
    from procrastinate import sql, utils

    connector = _sync_queue(app).connector
    rows = connector.execute_query_all(query=sql.queries["select_stalled_jobs_by_heartbeat"],
                                       queue=QUEUE_NAME, task_name=None,
                                       seconds_since_heartbeat=stalled_after)
    for row in rows:
        log.warning("requeueing job %s (%s): its worker stopped", row["id"], row["task_name"])
        _sync_queue(app).job_manager.retry_job_by_id(row["id"], retry_at=utils.utcnow())
    return len(rows)
