"""`isms demo`: a realistic Cloudar tracker to explore, reset on every run."""

import click
from flask.cli import with_appcontext

from controls.demo import DEMO_EDITION, DEMO_USERS, DemoError, load_demo
from isms.api import count_non_demo_users, db, find_organisation


@click.command("demo")
@with_appcontext
def demo_command():
    """Fill the database with the Cloudar demo (safe to run again; refuses real data)."""
    org = find_organisation()
    if org is None:
        raise click.ClickException("Run `isms init` first.")
    if count_non_demo_users():
        raise click.ClickException(
            "This database has real (non-demo) users; `isms demo` will not touch it.")
    if org.edition != DEMO_EDITION:
        raise click.ClickException(f"The demo runs on the {DEMO_EDITION} edition only.")
    try:
        load_demo(org)
    except DemoError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo("Demo data for Cloudar is ready. Sign in with:")
    for email, _name, role, password in DEMO_USERS:
        click.echo(f"  {role.value:8} {email:28} {password}")
