"""The `isms` command: core commands here, features add theirs in their init_app."""

import signal
import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import click
from flask import current_app
from flask.cli import AppGroup, FlaskGroup, routes_command, shell_command, with_appcontext
from werkzeug.serving import run_simple

from isms.backup import BackupError, backup, restore
from isms.db import db, utcnow
from isms.org import DEFAULT_ORGANISATION_NAME, find_organisation
from isms.scheduler import build_scheduler, get_job, run_with_lease
from isms.setup import SetupError, initialise


@click.command("init")
@click.option("--edition", type=click.Choice(["2013", "2022"]), default=None,
              help="Annex A edition in use (default 2013); set once.")
@click.option("--name", default=DEFAULT_ORGANISATION_NAME, help="Organisation name if it is new.")
@with_appcontext
def init_command(edition, name):
    """Migrate the database, load the catalog and create the organisation (idempotent)."""
    from flask_migrate import upgrade

    upgrade(directory=current_app.extensions["migrate"].directory)
    try:
        done = initialise(edition, name)
    except SetupError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    for line in done:
        click.echo(line)
    click.echo("isms is ready.")


@click.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def run_command(host, port):
    """Serve the tracker in one process (no reloader) with its scheduler in-process."""
    if find_organisation() is None:
        raise click.ClickException("The database is not initialised: run `isms init` first.")
    app = current_app._get_current_object()
    stop = threading.Event()
    scheduler = threading.Thread(target=run_with_lease, args=(app, stop, _org_timezone),
                                 name="isms-scheduler", daemon=True)
    scheduler.start()
    click.echo(f"Serving isms at http://{host}:{port}/ (Ctrl+C to stop)")
    try:
        run_simple(host, port, app, use_reloader=False, use_debugger=False, threaded=True)
    finally:
        stop.set()
        scheduler.join(timeout=10)


@click.command("scheduler")
@with_appcontext
def scheduler_command():
    """Run the job scheduler (production: exactly one process; others wait for the lease)."""
    app = current_app._get_current_object()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    click.echo("Scheduler waiting for the lease...")
    run_with_lease(app, stop, _org_timezone)


@click.command("worker")
@click.option("--concurrency", default=4, show_default=True, type=click.IntRange(1, 64),
              help="Jobs this process runs at once.")
@with_appcontext
def worker_command(concurrency):
    """Take long jobs (AWS collection slices ...) from the PostgreSQL queue until stopped."""
    from isms.jobqueue import run_worker

    click.echo(f"Worker taking jobs, {concurrency} at a time...")
    try:
        run_worker(current_app._get_current_object(), concurrency)
    except RuntimeError as error:
        raise click.ClickException(str(error)) from error


@click.command("backup")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False),
              help="Archive to write (a gzipped tar), e.g. isms-backup.tar.gz.")
@with_appcontext
def backup_command(out_path):
    """Write every table and every evidence blob to one archive with a hashed manifest."""
    report = backup(out_path)
    for warning in report.warnings:
        click.echo(f"WARNING {warning}", err=True)
    click.echo(f"Backed up {report.rows} rows in {report.tables} tables and {report.blobs} "
               f"blobs to {out_path}.")


@click.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def restore_command(archive):
    """Migrate an empty database and restore a backup into it: everything or nothing."""
    from flask_migrate import upgrade

    upgrade(directory=current_app.extensions["migrate"].directory)
    try:
        report = restore(archive)
    except BackupError as error:
        raise click.ClickException(f"{error} Nothing was restored.") from error
    click.echo(f"Restored {report.rows} rows in {report.tables} tables and {report.blobs} "
               "blobs. Run `isms evidence verify` and `isms audit verify` to check them.")


def _org_timezone() -> str:
    org = find_organisation()
    return org.timezone if org else current_app.config["ISMS_TIMEZONE"]


jobs_cli = AppGroup("jobs", help="Periodic jobs.")


@jobs_cli.command("list")
def jobs_list_command():
    """Show the jobs and when each runs next."""
    scheduler = build_scheduler(current_app, _org_timezone(), catch_up=False)
    scheduler.start(paused=True)
    try:
        for job in sorted(scheduler.get_jobs(), key=lambda job: job.id):
            click.echo(f"{job.id:18} next run {job.next_run_time:%Y-%m-%d %H:%M %Z}  "
                       f"({job.trigger})")
    finally:
        scheduler.shutdown(wait=False)


@jobs_cli.command("run")
@click.argument("job_id")
@click.option("--now", "now_text", default=None,
              help="ISO-8601 time to run as; without an offset it is the organisation's time.")
def jobs_run_command(job_id, now_text):
    """Run one job now, or as of --now."""
    job = get_job(current_app, job_id)
    if job is None:
        raise click.ClickException(f"No job {job_id}; see `isms jobs list`.")
    now = utcnow()
    if now_text:
        try:
            now = datetime.fromisoformat(now_text)
        except ValueError as error:
            raise click.ClickException(f"--now is not an ISO-8601 time: {now_text}") from error
        if now.tzinfo is None:
            now = now.replace(tzinfo=ZoneInfo(_org_timezone()))
    job.func(now)
    click.echo(f"Ran {job_id} as of {now.isoformat()}.")


def init_app(app) -> None:
    """Add the core commands to the app's CLI."""
    app.cli.add_command(init_command)
    app.cli.add_command(run_command)
    app.cli.add_command(scheduler_command)
    app.cli.add_command(worker_command)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)


def _make_app():
    from isms.app import create_app

    return create_app()


cli = FlaskGroup(create_app=_make_app, add_default_commands=False, load_dotenv=False,
                 help="ISO/IEC 27001 control evidence tracker.")
cli.add_command(shell_command)
cli.add_command(routes_command)


def main() -> None:
    """Entry point of the `isms` console script."""
    cli(prog_name="isms")
