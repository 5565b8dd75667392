"""The `isms` command: core commands here, features add theirs in their init_app."""

import click
from flask import current_app
from flask.cli import FlaskGroup, routes_command, shell_command, with_appcontext

from isms.db import db
from isms.setup import SetupError, initialise


@click.command("init")
@click.option("--edition", type=click.Choice(["2013", "2022"]), default=None,
              help="Annex A edition in use (default 2013); set once.")
@click.option("--name", default="My organisation", help="Organisation name if it is new.")
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
    from werkzeug.serving import run_simple

    from isms.org import find_organisation
    from isms.scheduler import build_scheduler

    if find_organisation() is None:
        raise click.ClickException("The database is not initialised: run `isms init` first.")
    scheduler = build_scheduler(current_app, find_organisation().timezone)
    scheduler.start()
    click.echo(f"Serving isms at http://{host}:{port}/ (Ctrl+C to stop)")
    try:
        run_simple(host, port, current_app._get_current_object(), use_reloader=False,
                   use_debugger=False, threaded=True)
    finally:
        scheduler.shutdown(wait=False)


def init_app(app) -> None:
    """Add the core commands to the app's CLI."""
    app.cli.add_command(init_command)
    app.cli.add_command(run_command)


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
