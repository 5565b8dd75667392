"""`isms evidence ...`: verify stored hashes, sweep leftovers."""

from datetime import timedelta

import click
from flask.cli import AppGroup

from evidence.maintenance import sweep, verify_versions
from evidence.storage import StorageError

evidence_cli = AppGroup("evidence", help="Evidence store maintenance.")


@evidence_cli.command("verify")
def verify_command():
    """Re-hash every stored version; exit 1 naming each missing or altered one."""
    try:
        checked, problems = verify_versions()
    except StorageError as error:
        raise click.ClickException(f"Cannot read the evidence store: {error}") from error
    for problem in problems:
        click.echo(f"FAIL {problem}", err=True)
    if problems:
        raise SystemExit(1)
    click.echo(f"OK: {checked} versions match their SHA-256.")


@evidence_cli.command("sweep")
@click.option("--older-than", default=3600, show_default=True, type=int,
              help="Only remove leftovers at least this many seconds old.")
def sweep_command(older_than):
    """Remove upload spools and unreferenced blobs left by crashes."""
    report = sweep(timedelta(seconds=older_than))
    click.echo(f"Removed {report.spools_removed} upload spools and "
               f"{report.blobs_removed} unreferenced blobs.")
    if report.error:
        raise click.ClickException(f"Blobs were not swept: {report.error}")
