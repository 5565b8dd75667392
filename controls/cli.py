"""`isms demo`: a realistic Cloudar tracker to explore, reset on every run."""

import click
from flask.cli import AppGroup, with_appcontext

from controls.demo import DEMO_EDITION, DEMO_USERS, DemoError, load_demo
from controls.sources import add_control, enable_control_set
from isms.api import (
    CONTROL_SETS,
    CatalogError,
    count_non_demo_users,
    db,
    find_organisation,
)

controls_cli = AppGroup("controls", help="Controls beyond Annex A (ISO/IEC 27001 6.1.3 b).")


@controls_cli.command("add-set")
@click.argument("key", type=click.Choice(sorted(CONTROL_SETS)))
def add_set_command(key):
    """Add a ready set of controls (e.g. iso27017: the seven ISO/IEC 27017 cloud controls)."""
    if find_organisation() is None:
        raise click.ClickException("Run `isms init` first.")
    added = enable_control_set(key, None, audit_actor="system:cli")
    db.session.commit()
    if added:
        click.echo(f"Added {len(added)} controls from {CONTROL_SETS[key].source}: "
                   f"{', '.join(added)}. Each needs a decision.")
    else:
        click.echo(f"{CONTROL_SETS[key].source} is already enabled; nothing changed.")


@controls_cli.command("add")
@click.argument("control_id")
@click.option("--title", required=True, help="The control's title.")
@click.option("--source", required=True, help='Where it comes from, e.g. "Contract with X".')
def add_command(control_id, title, source):
    """Add a control of your own, after Annex A, with its source."""
    if find_organisation() is None:
        raise click.ClickException("Run `isms init` first.")
    try:
        control_id = add_control(control_id, title, source, None, audit_actor="system:cli")
    except CatalogError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"Added {control_id} ({source}); it needs a decision.")


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
